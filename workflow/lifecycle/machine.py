"""The lifecycle as data: each trigger with its sources, destination, role,
guards and whether a reason is required; the shared `transitions` machine and
the Mermaid diagram are built from it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from transitions import Machine

from workflow.access.roles import Role
from workflow.lifecycle.guards import (
    ACTIVE,
    ASSESSMENT,
    COMPOSITE,
    ELIGIBLE,
    GROUND,
    IN_ROUND,
    INACTIVE,
    INTERVIEW_SCORE,
    MATERIAL_SCORE,
    MATERIALS,
    PASSED,
    UNQUALIFIED,
    WITHIN_QUOTA,
    Guard,
)
from workflow.lifecycle.states import INITIAL, STATES

# --- the declaration ------------------------------------------------------------


@dataclass(frozen=True)
class TriggerSpec:
    """One trigger from some states: where it leads, who may fire it, what must hold."""

    name: str
    sources: tuple[str, ...]
    dest: str
    role: Role
    guards: tuple[Guard, ...] = ()
    needs_reason: bool = False


TRIGGERS: tuple[TriggerSpec, ...] = (
    TriggerSpec(
        "review", ("applied",), "reviewed", Role.EXPERT, (ELIGIBLE, MATERIALS, MATERIAL_SCORE)
    ),
    TriggerSpec("interview", ("reviewed",), "interviewed", Role.EXPERT, (INTERVIEW_SCORE,)),
    TriggerSpec("file", ("interviewed",), "filed", Role.ADMIN, (IN_ROUND, COMPOSITE, WITHIN_QUOTA)),
    TriggerSpec("assess", ("filed", "retained"), "assessed", Role.ADMIN, (ASSESSMENT,)),
    TriggerSpec("retain", ("assessed",), "retained", Role.ADMIN, (PASSED, ACTIVE)),
    TriggerSpec(
        "withdraw",
        ("filed", "assessed", "retained"),
        "withdrawn",
        Role.ADMIN,
        (GROUND, UNQUALIFIED, INACTIVE),
        needs_reason=True,
    ),
    TriggerSpec("reject", ("applied", "reviewed"), "rejected", Role.EXPERT, needs_reason=True),
    TriggerSpec("reject", ("interviewed",), "rejected", Role.ADMIN, needs_reason=True),
    TriggerSpec("reapply", ("rejected", "withdrawn"), "applied", Role.ADMIN),
)
"""The lifecycle. `reject` is split by source: the panel rejects before and at
the interview, only an admin rejects after it (below the bar, outside the quota)."""

TRIGGER_NAMES: tuple[str, ...] = tuple(dict.fromkeys(spec.name for spec in TRIGGERS))


# `transitions` logs every state exit/enter at INFO; the audit log is the record.
logging.getLogger("transitions").setLevel(logging.WARNING)


def _build_machine() -> Machine:
    machine = Machine(
        model=None,
        states=list(STATES),
        initial=None,
        auto_transitions=False,
        ignore_invalid_triggers=False,
    )
    for spec in TRIGGERS:
        machine.add_transition(spec.name, list(spec.sources), spec.dest)
    return machine


MACHINE = _build_machine()
"""The one shared machine; it is fired on `_Holder` objects, never on SQLModel rows."""


@dataclass
class _Holder:
    """A plain state holder built from the loaded row, fired on the shared machine."""

    state: str


def spec_for(trigger: str, state: str) -> TriggerSpec | None:
    """The declaration of `trigger` from `state`, or None if it is not valid there."""
    return next((s for s in TRIGGERS if s.name == trigger and state in s.sources), None)


def next_state(trigger: str, state: str) -> str:
    """Fire `trigger` on the shared machine from `state`; return the new state."""
    holder = _Holder(state)
    MACHINE.events[trigger].trigger(holder)
    return holder.state


def mermaid() -> str:
    """The machine as a Mermaid `stateDiagram-v2`, generated from `TRIGGERS`."""
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL}"]
    for spec in TRIGGERS:
        for source in spec.sources:
            lines.append(f"    {source} --> {spec.dest} : {spec.name} ({spec.role.value})")
    return "\n".join(lines) + "\n"
