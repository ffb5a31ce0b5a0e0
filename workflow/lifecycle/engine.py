"""The lifecycle engine (RULES.md "Lifecycle states"): the one place a status changes.

`advance` fires a trigger of the declaration (`machine.TRIGGERS`): permission
(deny by default) → the trigger's guards (`guards.GUARDS`) → the shared
`transitions` machine fired on a plain holder of the loaded row's state →
`UPDATE … WHERE version = <seen>` (optimistic locking: the loser of two
simultaneous changes gets "changed meanwhile") → audit entry, all flushed in the
caller's unit of work, which commits them together or rolls all of them back.
SQLModel rows are never bound to the machine (pydantic rejects the attributes
`transitions` sets, and binding resets the stored state); `Agency.status`
refuses direct assignment everywhere else (`registry.models.status_writer`).
`available_triggers` lists what an actor may do and why not; `seed_status`
brings in agencies filed before this software existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from workflow.access.actors import Actor, Role, may, role_label
from workflow.access.roles import require_role, role_of
from workflow.assessment import gate
from workflow.community import campaigns
from workflow.core.clock import utcnow
from workflow.core.errors import Conflict, InvalidInput, NotFound, Refused
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings, get_settings
from workflow.core.text import check_characters
from workflow.lifecycle.audit import REASON_MAX, append, hold_head
from workflow.lifecycle.guards import GUARDS, Guard, GuardContext, Unmet
from workflow.lifecycle.machine import TRIGGER_NAMES, TRIGGERS, TriggerSpec, next_state, spec_for
from workflow.lifecycle.models import AuditEntry
from workflow.lifecycle.states import (
    CLOSING,
    GROUNDS,
    INITIAL,
    STATES,
    State,
    join_words,
    state_label,
    trigger_label,
)
from workflow.registry import service as registry
from workflow.registry.models import Agency, Application, status_writer


def _role_param(role: Role, language: str | None) -> dict[str, object]:
    return {"role": role_label(role, language)}


def guards_of(spec: TriggerSpec) -> tuple[Guard, ...]:
    """The conditions the declaration names for `spec`, in order."""
    return tuple(GUARDS[code] for code in spec.guards)


# --- refusals --------------------------------------------------------------------


class GuardsUnmet(Refused):
    """A trigger's guards do not hold; the message lists every unmet one, on one line."""

    def __init__(self, trigger: str, unmet: list[Unmet]) -> None:
        super().__init__("lifecycle.guards_unmet", trigger=trigger)
        self.trigger = trigger
        self.unmet = unmet

    def message(self, language: str | None = None) -> str:
        return workflow_texts.text(
            "lifecycle.guards_unmet",
            language,
            trigger=trigger_label(self.trigger, language),
            unmet=join_words((u.message(language) for u in self.unmet), language, "separator"),
        )


# --- the service ----------------------------------------------------------------------


def _local_now(settings: Settings, now: datetime | None) -> datetime:
    return (now or utcnow()).astimezone(settings.zone)


def _known_trigger(trigger: str) -> None:
    if trigger not in TRIGGER_NAMES:
        raise InvalidInput(
            "lifecycle.unknown_trigger",
            trigger=trigger,
            known=join_words(map(trigger_label, TRIGGER_NAMES), None),
        )


def _year(year: int | None, local: datetime, session: Session, agency_id: int) -> int:
    """The assessment year, never in the far future. By default the current local
    year, but for an `assessed` agency the year of its newest finalised assessment
    (so retaining or withdrawing in January still means last December's)."""
    if year is None:
        agency = session.get(Agency, agency_id)
        latest = gate.latest_finalised_year(session, agency_id)
        return (
            latest
            if agency is not None and agency.status == State.ASSESSED and latest
            else local.year
        )
    return campaigns.check_year(year, local)


def _load(session: Session, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("lifecycle.unknown_agency", agency=agency_id)
    return agency


def _check_reason(spec: TriggerSpec, reason: str | None) -> str | None:
    reason = check_characters(" ".join((reason or "").split()), field="reason") or None
    if spec.needs_reason and reason is None:
        raise InvalidInput("lifecycle.reason_required", trigger=trigger_label(spec.name))
    if reason is not None and len(reason) > REASON_MAX:
        raise InvalidInput("lifecycle.reason_too_long", limit=REASON_MAX)
    return reason


def advance(
    session: Session,
    agency_id: int,
    trigger: str,
    actor: Actor,
    reason: str | None = None,
    *,
    ground: str | None = None,
    year: int | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
    expected_status: str | None = None,
) -> AuditEntry:
    """Fire `trigger` on the agency as `actor`: permission, guards, transition and
    audit entry, flushed in the caller's unit of work (`workflow.core.db.transaction`),
    which commits them together or rolls all of them back. `year` (the assessment
    `assess`, `retain` and the Art. 14 grounds 1 and 2 look at) defaults to the
    current year in the settings' zone; `expected_status` (what the actor saw)
    turns a stale view into `Conflict`.

    Raises InvalidInput (unknown trigger, missing reason), NotFound (agency),
    Refused (no role, wrong state, guards unmet), Conflict (changed meanwhile)."""
    settings = settings or get_settings()
    now = now or utcnow()
    local = _local_now(settings, now)
    _known_trigger(trigger)
    agency = _load(session, agency_id)
    role = role_of(session, actor, settings)
    if role is None:
        raise Refused("lifecycle.no_role", actor=actor.name)
    source, seen = agency.status, agency.version
    if expected_status is not None and expected_status != source:
        raise Conflict("lifecycle.changed_meanwhile", agency=agency.name)
    spec = spec_for(trigger, source)
    if spec is None:
        valid = [s.name for s in TRIGGERS if source in s.sources]
        raise Refused(
            "lifecycle.not_from_state",
            trigger=trigger_label(trigger),
            state=state_label(source),
            valid=join_words(map(trigger_label, dict.fromkeys(valid)), None) or "-",
        )
    if not may(role, spec.role):
        raise Refused(
            "lifecycle.forbidden",
            actor=actor.name,
            trigger=trigger_label(trigger),
            role=role_label(spec.role),
        )
    reason = _check_reason(spec, reason)
    if ground is not None and spec.name != "withdraw":
        raise InvalidInput("lifecycle.ground_only_for_withdraw")
    application = registry.current_application(session, agency_id)
    context = GuardContext(
        session,
        agency,
        application,
        settings,
        _year(year, local, session, agency_id),
        local.date(),
        ground,
    )
    checks = guards_of(spec)
    if any(g.counts for g in checks):
        hold_head(session)  # filings serialise here: the count cannot change until commit
    unmet = [u for g in checks if (u := g.check(context)) is not None]
    if unmet:
        raise GuardsUnmet(trigger, unmet)

    target = next_state(trigger, source)
    changed = session.execute(
        update(Agency)
        .where(col(Agency.id) == agency_id, col(Agency.version) == seen)
        .values(status=target, version=seen + 1)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("lifecycle.changed_meanwhile", agency=agency.name)
    set_committed_value(agency, "status", target)
    set_committed_value(agency, "version", seen + 1)

    if target in CLOSING:
        application.closed = True
        session.add(application)
    if trigger == "reapply":
        application = Application(
            agency_id=agency_id,
            applied_at=max(now, application.applied_at + timedelta(microseconds=1)),
        )
        session.add(application)
    session.flush()
    return append(
        session,
        actor=actor,
        role=role.value,
        trigger=trigger,
        agency_id=agency_id,
        application_id=application.id,
        source=source,
        target=target,
        reason=reason,
        ground=ground,
        at=now,
    )


@dataclass(frozen=True)
class Action:
    """A trigger valid from the agency's state, and whether this actor may fire it now."""

    trigger: str
    dest: str
    role: Role
    unmet: tuple[Unmet, ...]
    needs_reason: bool
    grounds: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.unmet


def available_triggers(
    session: Session,
    agency: Agency | int,
    actor: Actor,
    *,
    settings: Settings | None = None,
    year: int | None = None,
    now: datetime | None = None,
) -> list[Action]:
    """What this person may do now, and for what they may not, why (role or guards).
    Somebody without any role sees nothing (deny by default)."""
    settings = settings or get_settings()
    local = _local_now(settings, now)
    row = _load(session, agency) if isinstance(agency, int) else agency
    assert row.id is not None
    role = role_of(session, actor, settings)
    if role is None:
        return []
    application = registry.current_application(session, row.id)
    context = GuardContext(
        session, row, application, settings, _year(year, local, session, row.id), local.date()
    )
    grounds = tuple(g for g, states in GROUNDS.items() if row.status in states)
    actions: list[Action] = []
    unmet: tuple[Unmet, ...]
    for spec in TRIGGERS:
        if row.status not in spec.sources:
            continue
        if not may(role, spec.role):
            unmet = (Unmet("lifecycle.unmet.role", lazy=partial(_role_param, spec.role)),)
        else:
            unmet = tuple(
                u
                for g in guards_of(spec)
                if not g.needs_input and (u := g.check(context)) is not None
            )
        actions.append(
            Action(
                spec.name,
                spec.dest,
                spec.role,
                unmet,
                spec.needs_reason,
                grounds if spec.name == "withdraw" else (),
            )
        )
    return actions


def seed_status(
    session: Session,
    agency_id: int,
    status: str,
    actor: Actor,
    reason: str,
    settings: Settings | None = None,
) -> AuditEntry:
    """Put an agency with no lifecycle history straight into `status` (admins only).

    For agencies the Association filed before this software existed (and for test
    fixtures): recorded in the audit log as trigger `seed`. Flushed, not committed."""
    settings = settings or get_settings()
    if status not in STATES:
        known = join_words(map(state_label, STATES), None)
        raise InvalidInput("lifecycle.unknown_state", state=status, known=known)
    role = require_role(session, actor, Role.ADMIN, settings, "seed")
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("lifecycle.reason_required", trigger=trigger_label("seed"))
    agency = _load(session, agency_id)
    has_history = session.exec(
        select(AuditEntry.id).where(AuditEntry.agency_id == agency_id)
    ).first()
    if has_history is not None or agency.status != INITIAL:
        raise Refused("lifecycle.seed_has_history", agency=agency.name)
    source = agency.status
    with status_writer():
        agency.status = status
        agency.version += 1
    session.add(agency)
    if status in CLOSING:  # as `advance` does: a closed state ends the application
        application = registry.current_application(session, agency_id)
        application.closed = True
        session.add(application)
    session.flush()
    return append(
        session,
        actor=actor,
        role=role.value,
        trigger="seed",
        agency_id=agency_id,
        source=source,
        target=status,
        reason=reason,
    )
