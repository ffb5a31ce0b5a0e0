"""The lifecycle as data: each trigger with its sources, destination, role,
guards and whether a reason is required; the shared `transitions` machine and
the Mermaid diagram are built from it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from workflow.access.actors import Role
from workflow.lifecycle.states import HOLDING, INITIAL, STATES, State

if TYPE_CHECKING:
    from transitions import Machine

# --- the declaration ------------------------------------------------------------


@dataclass(frozen=True)
class TriggerSpec:
    """One trigger from some states: where it leads, who may fire it, what must hold."""

    name: str
    sources: tuple[State, ...]
    dest: State
    role: Role
    guards: tuple[str, ...] = ()
    """Codes of the conditions in `workflow.lifecycle.guards.GUARDS`, checked in order."""
    needs_reason: bool = False


TRIGGERS: tuple[TriggerSpec, ...] = (
    TriggerSpec(
        "review",
        (State.APPLIED,),
        State.REVIEWED,
        Role.EXPERT,
        ("eligible", "materials_complete", "material_score"),
    ),
    # Art. 10(2), 10(3): the pass marks `round close` applies (`rounds.ranking.shortfall`)
    # hold a direct `interview` or `file` back as well.
    TriggerSpec(
        "interview",
        (State.REVIEWED,),
        State.INTERVIEWED,
        Role.EXPERT,
        ("interview_score", "interview_pass_mark", "familiar"),
    ),
    TriggerSpec(
        "file",
        (State.INTERVIEWED,),
        State.FILED,
        Role.ADMIN,
        ("in_round", "composite_score", "pass_marks", "within_quota"),
    ),
    TriggerSpec(
        "assess",
        (State.FILED, State.RETAINED),
        State.ASSESSED,
        Role.ADMIN,
        ("finalised_assessment",),
    ),
    TriggerSpec(
        "retain",
        (State.ASSESSED,),
        State.RETAINED,
        Role.ADMIN,
        ("passed_assessment", "not_inactive_two_years"),
    ),
    # Art. 14, from every holding state; which ground applies from which state is
    # `states.GROUNDS` (ground 2, no guidance in two years, from filed, assessed, retained).
    TriggerSpec(
        "withdraw",
        HOLDING,
        State.WITHDRAWN,
        Role.ADMIN,
        ("exit_ground", "unqualified", "inactive_two_years"),
        needs_reason=True,
    ),
    TriggerSpec(
        "reject", (State.APPLIED, State.REVIEWED), State.REJECTED, Role.EXPERT, needs_reason=True
    ),
    TriggerSpec("reject", (State.INTERVIEWED,), State.REJECTED, Role.ADMIN, needs_reason=True),
    TriggerSpec("reapply", (State.REJECTED, State.WITHDRAWN), State.APPLIED, Role.ADMIN),
)
"""The lifecycle. `reject` is split by source: the panel rejects before and at
the interview, only an admin rejects after it (below the bar, outside the quota)."""

TRIGGER_NAMES: tuple[str, ...] = tuple(dict.fromkeys(spec.name for spec in TRIGGERS))


@cache
def shared_machine() -> Machine:
    """The one shared machine, built from `TRIGGERS` on first use (so reading the
    declaration, as the CLI's help does, costs no `transitions` import); it is fired
    on `_Holder` objects, never on SQLModel rows."""
    from transitions import Machine

    # `transitions` logs every state exit/enter at INFO; the audit log is the record.
    logging.getLogger("transitions").setLevel(logging.WARNING)
    machine = Machine(
        model=None,
        states=[state.value for state in STATES],  # plain names: transitions maps Enums by name
        initial=None,
        auto_transitions=False,
        ignore_invalid_triggers=False,
    )
    for spec in TRIGGERS:
        machine.add_transition(spec.name, [s.value for s in spec.sources], spec.dest.value)
    return machine


@dataclass
class _Holder:
    """A plain state holder built from the loaded row, fired on the shared machine."""

    state: str


def spec_for(trigger: str, state: str) -> TriggerSpec | None:
    """The declaration of `trigger` from `state`, or None if it is not valid there."""
    return next((s for s in TRIGGERS if s.name == trigger and state in s.sources), None)


def next_state(trigger: str, state: str) -> State:
    """Fire `trigger` on the shared machine from `state`; return the new state."""
    holder = _Holder(State(state).value)
    shared_machine().events[trigger].trigger(holder)
    return State(holder.state)


def mermaid() -> str:
    """The machine as a Mermaid `stateDiagram-v2`, generated from `TRIGGERS`."""
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL}"]
    for spec in TRIGGERS:
        for source in spec.sources:
            lines.append(f"    {source} --> {spec.dest} : {spec.name} ({spec.role.value})")
    return "\n".join(lines) + "\n"
