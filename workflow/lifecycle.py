"""The agency lifecycle (RULES.md "Lifecycle states"): declared once, fired in one place.

`TRIGGERS` is the whole state machine as data: each trigger with its source
states, destination, the role allowed to fire it, its guards (each with a
human-readable "unmet" message) and whether a reason is required. The shared
`transitions` machine, the permission checks, `available_triggers` and the
Mermaid diagram are all built from it.

`advance` is the only way a status changes: permission (deny by default) →
guards → fire the shared machine on a plain holder of the loaded row's state →
`UPDATE … WHERE version = <seen>` (optimistic locking: the loser of two
simultaneous changes gets "changed meanwhile") → audit entry → commit. Any
refusal or error rolls everything back. SQLModel rows are never bound to the
machine (pydantic rejects the attributes `transitions` sets, and binding resets
the stored state); `Agency.status` refuses direct assignment outside this module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy import event, inspect, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select
from transitions import Machine

from workflow import campaigns, eligibility, registry
from workflow import rounds as round_rules
from workflow.assessment import gate
from workflow.assessment.evaluation import Evaluation
from workflow.audit import REASON_MAX, AuditEntry, append, unit_of_work
from workflow.clock import utcnow
from workflow.errors import Conflict, InvalidInput, NotFound, Refused
from workflow.i18n import workflow_texts
from workflow.models import Agency, Application
from workflow.roles import (
    Actor,
    Role,
    grant_role,
    may,
    parse_grantee,
    require_role,
    revoke_role,
    role_label,
    role_of,
)
from workflow.settings import Settings, get_settings

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


@dataclass(frozen=True)
class Unmet:
    """Why a guard holds a trigger back; rendered in any language on demand."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)
    lazy: Callable[[str | None], Mapping[str, object]] | None = None

    def message(self, language: str | None = None) -> str:
        params = dict(self.params)
        if self.lazy is not None:
            params.update(self.lazy(language))
        return workflow_texts.text(self.key, language, **params)


@dataclass
class GuardContext:
    """What guards look at: the loaded row, its current application and the actor's input."""

    session: Session
    agency: Agency
    application: Application
    settings: Settings
    year: int
    today: date
    ground: str | None = None


@dataclass(frozen=True)
class Guard:
    """A condition of a trigger; `needs_input` guards judge what the actor typed (skipped
    when merely listing what someone may do)."""

    code: str
    check: Callable[[GuardContext], Unmet | None]
    needs_input: bool = False


def _eligible(ctx: GuardContext) -> Unmet | None:
    result = eligibility.check_eligibility(ctx.session, ctx.agency, today=ctx.today)
    if result.passed:
        return None
    failed = _join((c.reason for c in result.failed), None, "separator")
    return Unmet("lifecycle.unmet.ineligible", {"failed": failed})


def _materials_complete(ctx: GuardContext) -> Unmet | None:
    missing = registry.missing_materials(ctx.application)
    if not missing:
        return None

    def labels(language: str | None) -> Mapping[str, object]:
        return {
            "missing": _join(
                (registry.label("application", m, language) for m in missing), language
            )
        }

    return Unmet("lifecycle.unmet.materials_missing", lazy=labels)


def _material_score(ctx: GuardContext) -> Unmet | None:
    if ctx.application.material_score is None:
        return Unmet("lifecycle.unmet.no_material_score")
    return None


def _interview_score(ctx: GuardContext) -> Unmet | None:
    if ctx.application.interview_score is None:
        return Unmet("lifecycle.unmet.no_interview_score")
    return None


def _in_round(ctx: GuardContext) -> Unmet | None:
    if ctx.application.round_id is None:
        return Unmet("lifecycle.unmet.not_in_round")
    return None


def _composite(ctx: GuardContext) -> Unmet | None:
    if round_rules.composite_score(ctx.application, ctx.settings) is None:
        return Unmet("lifecycle.unmet.no_composite")
    return None


def _within_quota(ctx: GuardContext) -> Unmet | None:
    if ctx.application.round_id is None:
        return None  # `_in_round` already says so
    place = round_rules.quota_place(ctx.session, ctx.application, ctx.settings)
    if place is None:
        return None
    rank, quota, filed = place
    if rank > quota:
        return Unmet("lifecycle.unmet.outside_quota", {"rank": rank, "quota": quota})
    if filed >= quota:
        return Unmet("lifecycle.unmet.quota_full", {"quota": quota})
    return None


def _finalised_assessment(ctx: GuardContext) -> Unmet | None:
    assert ctx.agency.id is not None
    if gate.has_finalised_sheet(ctx.session, ctx.agency.id, ctx.year):
        return None
    return Unmet("lifecycle.unmet.no_assessment", {"year": ctx.year})


def _ground_fits(ctx: GuardContext) -> Unmet | None:
    allowed = [g for g, states in GROUNDS.items() if ctx.agency.status in states]

    def names(language: str | None) -> Mapping[str, object]:
        return {"allowed": _join((ground_label(g, language) for g in allowed), language)}

    if not ctx.ground:
        return Unmet("lifecycle.unmet.ground_missing", lazy=names)
    if ctx.ground not in GROUNDS:
        return Unmet("lifecycle.unmet.ground_unknown", {"ground": ctx.ground}, names)
    if ctx.ground not in allowed:
        state = ctx.agency.status

        def more(language: str | None) -> Mapping[str, object]:
            return {
                **names(language),
                "ground_name": ground_label(str(ctx.ground), language),
                "state": state_label(state, language),
            }

        return Unmet("lifecycle.unmet.ground_not_now", lazy=more)
    return None


def _ground_is(ctx: GuardContext, ground: str) -> bool:
    """The actor chose `ground` and it applies now (otherwise `_ground_fits` says why)."""
    return ctx.ground == ground and ctx.agency.status in GROUNDS[ground]


def _why(evaluation: Evaluation) -> Callable[[str | None], Mapping[str, object]]:
    return lambda language: {
        "grade": evaluation.grade_text(language),
        "why": evaluation.reason(language),
    }


def _passed_assessment(ctx: GuardContext) -> Unmet | None:
    """`retain`, Art. 14(1): only an agency whose finalised assessment of the year passed."""
    assert ctx.agency.id is not None
    evaluation = gate.finalised_evaluation(ctx.session, ctx.agency.id, ctx.year, ctx.settings)
    if evaluation is None:
        return Unmet("lifecycle.unmet.no_assessment", {"year": ctx.year})
    if evaluation.passed:
        return None
    return Unmet("lifecycle.unmet.failed_cannot_retain", {"year": ctx.year}, _why(evaluation))


def _not_inactive(ctx: GuardContext) -> Unmet | None:
    """`retain`, Art. 14(2): not when ground 2 holds (`gate.inactive_two_years`)."""
    assert ctx.agency.id is not None
    if not gate.inactive_two_years(ctx.session, ctx.agency.id, ctx.year, ctx.settings):
        return None
    return Unmet(
        "lifecycle.unmet.inactive_cannot_retain", {"first": ctx.year - 1, "last": ctx.year}
    )


def _unqualified_really(ctx: GuardContext) -> Unmet | None:
    """Ground 1 ("annual assessment unqualified") is checked against the finalised assessment."""
    if not _ground_is(ctx, "unqualified"):
        return None
    assert ctx.agency.id is not None
    evaluation = gate.finalised_evaluation(ctx.session, ctx.agency.id, ctx.year, ctx.settings)
    if evaluation is None:
        return Unmet("lifecycle.unmet.no_assessment", {"year": ctx.year})
    if not evaluation.passed:
        return None
    return Unmet("lifecycle.unmet.assessment_passed", {"year": ctx.year}, _why(evaluation))


def _inactive_really(ctx: GuardContext) -> Unmet | None:
    """Ground 2 ("no guidance work in 2 consecutive years"): the rule `exits` proposes by."""
    if not _ground_is(ctx, "inactive_two_years"):
        return None
    assert ctx.agency.id is not None
    facts = gate.activity(ctx.session, ctx.agency.id, ctx.year, ctx.settings)
    if facts.inactive_two_years:
        return None
    if facts.guided_in is not None:
        return Unmet("lifecycle.unmet.guided_recently", {"year": facts.guided_in})
    if facts.filed_in is None:
        return Unmet("lifecycle.unmet.never_filed", {"year": ctx.year})
    return Unmet("lifecycle.unmet.filed_recently", {"filed": facts.filed_in, "year": ctx.year})


ELIGIBLE = Guard("eligible", _eligible)
MATERIALS = Guard("materials_complete", _materials_complete)
MATERIAL_SCORE = Guard("material_score", _material_score)
INTERVIEW_SCORE = Guard("interview_score", _interview_score)
IN_ROUND = Guard("in_round", _in_round)
COMPOSITE = Guard("composite_score", _composite)
WITHIN_QUOTA = Guard("within_quota", _within_quota)
ASSESSMENT = Guard("finalised_assessment", _finalised_assessment)
PASSED = Guard("passed_assessment", _passed_assessment)
ACTIVE = Guard("not_inactive_two_years", _not_inactive)
GROUND = Guard("exit_ground", _ground_fits, needs_input=True)
UNQUALIFIED = Guard("unqualified", _unqualified_really, needs_input=True)
INACTIVE = Guard("inactive_two_years", _inactive_really, needs_input=True)


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


def state_label(state: str, language: str | None = None) -> str:
    return workflow_texts.text(f"lifecycle.state.{state}", language)


def trigger_label(trigger: str, language: str | None = None) -> str:
    return workflow_texts.text(f"lifecycle.trigger.{trigger}", language)


def ground_label(ground: str, language: str | None = None) -> str:
    return workflow_texts.text(f"lifecycle.ground.{ground}", language)


def _role_param(role: Role, language: str | None) -> dict[str, object]:
    return {"role": role_label(role, language)}


def mermaid() -> str:
    """The machine as a Mermaid `stateDiagram-v2`, generated from `TRIGGERS`."""
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL}"]
    for spec in TRIGGERS:
        for source in spec.sources:
            lines.append(f"    {source} --> {spec.dest} : {spec.name} ({spec.role.value})")
    return "\n".join(lines) + "\n"


# --- the status column is protected ----------------------------------------------

_service_active: ContextVar[bool] = ContextVar("lifecycle_service_active", default=False)


@contextmanager
def _service() -> Iterator[None]:
    token = _service_active.set(True)
    try:
        yield
    finally:
        _service_active.reset(token)


@event.listens_for(Agency.status, "set")
def _refuse_direct_status(target: Agency, value: object, _old: object, _initiator: object) -> None:
    """Only this module changes `status`; a new agency may start in `applied`."""
    if _service_active.get():
        return
    if inspect(target).key is None and value == INITIAL:
        return
    raise Refused("lifecycle.status_protected")


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
            unmet=_join((u.message(language) for u in self.unmet), language, "separator"),
        )


# --- the service ----------------------------------------------------------------------


def _local_now(settings: Settings, now: datetime | None) -> datetime:
    return (now or utcnow()).astimezone(settings.zone)


def _known_trigger(trigger: str) -> None:
    if trigger not in TRIGGER_NAMES:
        raise InvalidInput(
            "lifecycle.unknown_trigger", trigger=trigger, known=", ".join(TRIGGER_NAMES)
        )


def _year(year: int | None, local: datetime, session: Session, agency_id: int) -> int:
    """The assessment year, never in the far future. By default the current local
    year, but for an `assessed` agency the year of its newest finalised assessment
    (so retaining or withdrawing in January still means last December's)."""
    if year is None:
        agency = session.get(Agency, agency_id)
        latest = gate.latest_finalised_year(session, agency_id)
        return (
            latest if agency is not None and agency.status == "assessed" and latest else local.year
        )
    return campaigns.check_year(year, local)


def _load(session: Session, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("lifecycle.unknown_agency", agency=agency_id)
    return agency


def _check_reason(spec: TriggerSpec, reason: str | None) -> str | None:
    reason = " ".join((reason or "").split()) or None
    if spec.needs_reason and reason is None:
        raise InvalidInput("lifecycle.reason_required", trigger=spec.name)
    if reason is not None and len(reason) > REASON_MAX:
        raise InvalidInput("lifecycle.reason_too_long", limit=REASON_MAX)
    return reason


def fire(
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
    """`advance` without the commit: for callers that change many agencies in one
    transaction (`workflow.rounds.close_round`). The caller commits or rolls back."""
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
            trigger=trigger,
            state=source,
            valid=", ".join(dict.fromkeys(valid)) or "-",
        )
    if not may(role, spec.role):
        raise Refused(
            "lifecycle.forbidden", actor=actor.name, trigger=trigger, role=role_label(spec.role)
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
    unmet = [u for g in spec.guards if (u := g.check(context)) is not None]
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
    """Fire `trigger` on the agency as `actor`: permission, guards, transition,
    audit entry, commit — all or nothing. `year` (the assessment `assess`,
    `retain` and the Art. 14 grounds 1 and 2 look at) defaults to the current
    year in the settings' zone;
    `expected_status` (what the actor saw) turns a stale view into `Conflict`.

    Raises InvalidInput (unknown trigger, missing reason), NotFound (agency),
    Refused (no role, wrong state, guards unmet), Conflict (changed meanwhile)."""
    with unit_of_work(session):
        return fire(
            session,
            agency_id,
            trigger,
            actor,
            reason,
            ground=ground,
            year=year,
            settings=settings,
            now=now,
            expected_status=expected_status,
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
                u for g in spec.guards if not g.needs_input and (u := g.check(context)) is not None
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
        raise InvalidInput("lifecycle.unknown_state", state=status, known=", ".join(STATES))
    role = require_role(session, actor, Role.ADMIN, settings, "seed")
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("lifecycle.reason_required", trigger="seed")
    agency = _load(session, agency_id)
    has_history = session.exec(
        select(AuditEntry.id).where(AuditEntry.agency_id == agency_id)
    ).first()
    if has_history is not None or agency.status != INITIAL:
        raise Refused("lifecycle.seed_has_history", agency=agency.name)
    source = agency.status
    with _service():
        agency.status = status
        agency.version += 1
    session.add(agency)
    if status in CLOSING:  # as `fire` does: a closed state ends the application
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


def grant(
    session: Session, key: str, role: Role, actor: Actor, settings: Settings | None = None
) -> AuditEntry:
    """Give a Telegram user a role (admins only); audited and committed."""
    settings = settings or get_settings()
    with unit_of_work(session):
        mine = require_role(session, actor, Role.ADMIN, settings, "role.grant")
        key = parse_grantee(key)
        before, after = grant_role(session, key, role, actor)
        return append(
            session,
            actor=actor,
            role=mine.value,
            trigger="role.grant",
            source=before.value if before else "",
            target=after.value,
            subject=key,
        )


def revoke(
    session: Session, key: str, actor: Actor, settings: Settings | None = None
) -> AuditEntry:
    """Take a granted role away (admins only); audited and committed. Admins named
    in the settings stay admins: change `SAFECOMM_ADMIN_IDS` for them."""
    settings = settings or get_settings()
    with unit_of_work(session):
        mine = require_role(session, actor, Role.ADMIN, settings, "role.revoke")
        key = parse_grantee(key)
        before = revoke_role(session, key)
        return append(
            session,
            actor=actor,
            role=mine.value,
            trigger="role.revoke",
            source=before.value,
            subject=key,
        )
