"""The lifecycle states, the Art. 14 exit grounds, and their names in words."""

from __future__ import annotations

from collections.abc import Iterable

from workflow.core.i18n import workflow_texts

STATES: tuple[str, ...] = (
    "applied",
    "reviewed",
    "interviewed",
    "filed",
    "assessed",
    "retained",
    "withdrawn",
    "rejected",
)
INITIAL = "applied"
CLOSING = ("rejected", "withdrawn")
"""States that end the application (a new one starts with `reapply`)."""

GROUNDS: dict[str, tuple[str, ...]] = {
    "unqualified": ("assessed",),
    "inactive_two_years": ("assessed",),
    "staff_change": ("filed", "assessed", "retained"),
    "convention_violation": ("filed", "assessed", "retained"),
}
"""Art. 14 exit grounds and the states each may be applied from: the first two
follow an annual assessment, the last two "at any time of year"."""


# --- guards -------------------------------------------------------------------


def _join(items: Iterable[str], language: str | None, separator: str = "list_separator") -> str:
    """Items joined the way the language writes a list (`、`) or a run of clauses (`；`)."""
    return workflow_texts.text(f"lifecycle.{separator}", language).join(items)


def state_label(state: str, language: str | None = None) -> str:
    return workflow_texts.text(f"lifecycle.state.{state}", language)


def trigger_label(trigger: str, language: str | None = None) -> str:
    return workflow_texts.text(f"lifecycle.trigger.{trigger}", language)


def ground_label(ground: str, language: str | None = None) -> str:
    return workflow_texts.text(f"lifecycle.ground.{ground}", language)
