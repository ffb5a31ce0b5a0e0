"""The lifecycle states, their named groups, the Art. 14 exit grounds, and their names
in words.

Every module that asks "is this agency filed / still deciding / owing a report" uses
a group from here, so the meaning of each state is written once. `State` and
`Ground` are `StrEnum`s: a member equals its stored string (`State.FILED ==
"filed"`), so rows, audit entries and settings keep plain text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum

from workflow.core.i18n import workflow_texts


class State(StrEnum):
    """Where an agency stands (RULES.md "Lifecycle states")."""

    APPLIED = "applied"
    REVIEWED = "reviewed"
    INTERVIEWED = "interviewed"
    FILED = "filed"
    ASSESSED = "assessed"
    RETAINED = "retained"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"


class Ground(StrEnum):
    """The four Art. 14 exit grounds."""

    UNQUALIFIED = "unqualified"
    INACTIVE_TWO_YEARS = "inactive_two_years"
    STAFF_CHANGE = "staff_change"
    CONVENTION_VIOLATION = "convention_violation"


STATES: tuple[State, ...] = tuple(State)
INITIAL = State.APPLIED

CLOSING = (State.REJECTED, State.WITHDRAWN)
"""States that end the application (a new one starts with `reapply`)."""
HOLDING = (State.FILED, State.ASSESSED, State.RETAINED)
"""Agencies on the register (Art. 6): filed, and not withdrawn since."""
RANKED = (State.INTERVIEWED, *HOLDING)
"""Applications a round ranks: interviewed, or filed from it."""
UNDECIDED = (State.APPLIED, State.REVIEWED)
"""Applications whose round cannot close yet."""
MATERIAL_SCORING = (State.APPLIED, State.REVIEWED, State.INTERVIEWED)
"""While the material score (Art. 10) may still be recorded or corrected."""
INTERVIEW_SCORING = (State.REVIEWED, State.INTERVIEWED)
"""While the interview score may be recorded or corrected."""
REPORTING = (State.FILED, State.RETAINED)
"""Agencies that owe the year's report (Art. 15) and are reminded of it."""

GROUNDS: dict[str, tuple[State, ...]] = {
    Ground.UNQUALIFIED: (State.ASSESSED,),
    Ground.INACTIVE_TWO_YEARS: HOLDING,
    Ground.STAFF_CHANGE: HOLDING,
    Ground.CONVENTION_VIOLATION: HOLDING,
}
"""Art. 14 exit grounds and the states each may be applied from: ground 1 follows
an annual assessment; ground 2 holds in any holding state once two full calendar
years without guidance have passed (an idle agency has no score sheet to be
assessed on); grounds 3 and 4 apply "at any time of year"."""


def join_words(
    items: Iterable[str], language: str | None, separator: str = "list_separator"
) -> str:
    """Items joined the way the language writes a list (`、`) or a run of clauses (`；`)."""
    return workflow_texts.text(f"lifecycle.{separator}", language).join(items)


def state_label(state: str, language: str | None = None) -> str:
    return workflow_texts.text(f"lifecycle.state.{state}", language)


def trigger_label(trigger: str, language: str | None = None) -> str:
    return workflow_texts.text(f"lifecycle.trigger.{trigger}", language)


def ground_label(ground: str, language: str | None = None) -> str:
    return workflow_texts.text(f"lifecycle.ground.{ground}", language)


def code_of(text: str, codes: Iterable[str], label: Callable[[str, str | None], str]) -> str | None:
    """The code a person typed, as the code itself or as its Chinese or English name
    (`已备案`, `材料审核通过`, `filed`); None if it names none of `codes` (TERMS.md:
    Chinese names are accepted wherever a code is)."""
    typed = " ".join(text.split())
    for code in codes:
        names = {code.lower()} | {label(code, language).lower() for language in ("zh", "en")}
        if typed.lower() in names:
            return code
    return None
