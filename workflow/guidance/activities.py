"""Recording guidance activities (Art. 11): add, edit, delete — checked, audited, and
closed once the year's score sheet is finalised.

Who may record: the agency itself (a bound contact, or its web sign-in: its own work), or an admin on the agency's
behalf (paper evidence; the row is marked `on_behalf`). Every change is an audit
entry (`guidance.add` / `guidance.edit` / `guidance.delete`) with the activity's
summary. The functions flush and never commit: the caller's transaction decides.
Channels (chat, CLI, spreadsheet, web) parse what people type with `parse_fields`
and call these; no channel checks a rule itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from workflow.access.actors import Actor, Role
from workflow.access.roles import require_role
from workflow.assessment.models import ScoreSheet
from workflow.community.campaigns import campaign_or_default, check_year
from workflow.community.models import CreationUnit, Guidance
from workflow.community.units import find_guidance
from workflow.core.clock import local_date, utcnow
from workflow.core.errors import Conflict, InvalidInput, NotFound, Refused
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings
from workflow.guidance import kinds
from workflow.guidance.models import EvidenceFile, GuidanceActivity
from workflow.lifecycle.audit import append
from workflow.registry.models import Agency
from workflow.registry.values import BadValue, read_date, read_text
from workflow.reminders.contacts import speaks_for

ADD = "guidance.add"
EDIT = "guidance.edit"
DELETE = "guidance.delete"
TITLE_MAX = 200
DESCRIPTION_MAX = 500
ATTENDANCE_MAX = 100_000
AGENCY_ROLE = "agency"
"""The audit role of an agency contact recording its own work."""


@dataclass(frozen=True)
class ActivityInput:
    """What an activity says, as checked values (`parse_fields` builds one from text)."""

    kind: str
    held_on: date
    topic: str = ""
    programme: str = ""
    title: str = ""
    description: str = ""
    attendance: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


# --- reading what people typed ----------------------------------------------------------


def _field(name: str, language: str | None = None) -> str:
    return workflow_texts.text(f"guidance.field.{name}", language)


def _bad(name: str, bad: BadValue) -> InvalidInput:
    problem = workflow_texts.text(bad.key, **bad.params)
    return InvalidInput("guidance.bad_field", field=_field(name), problem=problem)


def parse_text(name: str, value: object, limit: int) -> str:
    """A free-text field: trimmed, no control characters, at most `limit` characters."""
    try:
        text = read_text("" if value is None else value)
    except BadValue as bad:
        raise _bad(name, bad) from None
    if len(text) > limit:
        raise InvalidInput("guidance.too_long", field=_field(name), limit=limit, n=len(text))
    return text


def parse_day(value: object) -> date:
    try:
        return read_date(value)
    except BadValue as bad:
        raise _bad("held_on", bad) from None


def parse_attendance(value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = kinds.whole_count(value, ATTENDANCE_MAX, unit="人")
    if number is None:
        raise InvalidInput("guidance.bad_attendance", value=value, max=ATTENDANCE_MAX)
    return number


def parse_fields(
    kind: object,
    held_on: object,
    *,
    topic: object = "",
    programme: object = "",
    title: object = "",
    description: object = "",
    attendance: object = None,
    details: Mapping[str, Any] | None = None,
) -> ActivityInput:
    """An `ActivityInput` from what a person typed (Chinese names accepted for codes)."""
    code = kinds.parse_kind(str(kind or ""))
    people = parse_attendance(attendance)
    if people is not None and code not in kinds.WITH_ATTENDANCE:
        raise InvalidInput("guidance.no_attendance", kind=kinds.kind_label(code))
    programme_text = str(programme or "").strip()
    return ActivityInput(
        kind=code,
        held_on=parse_day(held_on),
        topic=kinds.parse_topic(code, str(topic or "")),
        programme=kinds.parse_programme(programme_text) if programme_text else "",
        title=parse_text("title", title, TITLE_MAX),
        description=parse_text("description", description, DESCRIPTION_MAX),
        attendance=people,
        details=kinds.check_details(code, details),
    )


# --- the checks every change passes --------------------------------------------------


def recorder_on_behalf(session: Session, actor: Actor, agency_id: int, settings: Settings) -> bool:
    """False when the actor speaks for the agency (a bound contact, or the agency signed
    in to the web pages: its own work), True for an admin recording on its behalf;
    anybody else is refused."""
    if speaks_for(session, actor, agency_id):
        return False
    require_role(session, actor, Role.ADMIN, settings, workflow_texts.text("guidance.action"))
    return True


def guidance_of(session: Session, agency_id: int, unit_id: int, year: int) -> Guidance:
    """The guidance record the activity belongs to, or a refusal naming the unit."""
    found = find_guidance(session, unit_id, agency_id, year)
    if found is None:
        unit = session.get(CreationUnit, unit_id)
        raise Refused("guidance.not_guided", unit=unit.name if unit else unit_id, year=year)
    return found


def guidance_start(guidance: Guidance) -> date:
    return guidance.started_on or date(guidance.year, 1, 1)


def check_open(session: Session, agency_id: int, year: int) -> None:
    """Refused once the agency's sheet for the year is finalised: the record it was judged on."""
    sheet = session.exec(
        select(ScoreSheet)
        .where(ScoreSheet.agency_id == agency_id, ScoreSheet.year == year)
        .with_for_update(read=True)  # a finalise waits for this change, or this for it
    ).first()
    if sheet is not None and sheet.finalised_at is not None:
        raise Refused("guidance.finalised", year=year)


def last_day(session: Session, year: int, settings: Settings, today: date) -> date:
    """The latest date an activity of `year` may carry: today, at most the report deadline."""
    due = campaign_or_default(session, year, settings).report_due
    return min(today, due)


def check_date(
    session: Session, guidance: Guidance, held_on: date, settings: Settings, today: date
) -> None:
    start = guidance_start(guidance)
    if held_on < start:
        raise InvalidInput("guidance.before_start", day=held_on, start=start)
    end = last_day(session, guidance.year, settings, today)
    if held_on > end:
        key = "guidance.future" if end == today and held_on > today else "guidance.after_due"
        raise InvalidInput(key, day=held_on, end=end, year=guidance.year)


def check_programme(guidance: Guidance, given: ActivityInput) -> ActivityInput:
    """The activity's programme: one the unit is guided in; a project needs one, taken from
    the guidance when it names only one."""
    guided = [
        p
        for p, on in (
            (kinds.SAFE_COMMUNITY, guidance.safe_community),
            (kinds.DISASTER_REDUCTION, guidance.disaster_reduction),
        )
        if on
    ]
    if given.programme:
        if given.programme not in guided:
            raise InvalidInput(
                "guidance.programme_not_guided", programme=kinds.programme_label(given.programme)
            )
        return given
    if given.kind == kinds.PROJECT:
        if len(guided) != 1:
            raise InvalidInput("guidance.programme_needed")
        return replace(given, programme=guided[0])
    return given


# --- changes ----------------------------------------------------------------------------


def _summary(activity: GuidanceActivity, unit: CreationUnit | None) -> str:
    what = kinds.described(activity.kind, activity.topic)
    return workflow_texts.text(
        "guidance.summary",
        what=what,
        unit=unit.name if unit else activity.unit_id,
        day=activity.held_on,
    )


def audit_change(
    session: Session,
    actor: Actor,
    on_behalf: bool,
    trigger: str,
    activity: GuidanceActivity,
    now: datetime,
    what: str,
    reason: str = "",
) -> None:
    """The audit entry of a change to an activity or its files: who (agency contact, or an
    admin on its behalf), what, and why."""
    append(
        session,
        actor=actor,
        role=Role.ADMIN.value if on_behalf else AGENCY_ROLE,
        trigger=trigger,
        agency_id=activity.agency_id,
        subject=f"activity:{activity.id}",
        reason=f"{what}{'；' + reason if reason else ''}"[:500],
        at=now,
    )


def _audit(
    session: Session,
    actor: Actor,
    on_behalf: bool,
    trigger: str,
    activity: GuidanceActivity,
    settings: Settings,
    now: datetime,
    reason: str = "",
) -> None:
    summary = _summary(activity, session.get(CreationUnit, activity.unit_id))
    audit_change(session, actor, on_behalf, trigger, activity, now, summary, reason)


def _prepare(
    session: Session,
    agency_id: int,
    unit_id: int,
    year: int,
    given: ActivityInput,
    actor: Actor,
    settings: Settings,
    today: date | None,
) -> tuple[bool, ActivityInput]:
    check_year(year)
    if session.get(Agency, agency_id) is None:
        raise NotFound("assessment.no_agency", agency=agency_id)
    on_behalf = recorder_on_behalf(session, actor, agency_id, settings)
    check_open(session, agency_id, year)
    guidance = guidance_of(session, agency_id, unit_id, year)
    check_date(
        session, guidance, given.held_on, settings, today or local_date(utcnow(), settings.zone)
    )
    return on_behalf, check_programme(guidance, given)


def record_activity(
    session: Session,
    agency_id: int,
    unit_id: int,
    year: int,
    given: ActivityInput,
    actor: Actor,
    settings: Settings,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> GuidanceActivity:
    """Record one activity of the agency for a unit it guides in `year`."""
    on_behalf, given = _prepare(session, agency_id, unit_id, year, given, actor, settings, today)
    now = now or utcnow()
    activity = GuidanceActivity(
        agency_id=agency_id,
        unit_id=unit_id,
        year=year,
        kind=given.kind,
        topic=given.topic,
        programme=given.programme,
        held_on=given.held_on,
        title=given.title,
        description=given.description,
        attendance=given.attendance,
        details=dict(given.details),
        recorded_by=actor.key,
        on_behalf=on_behalf,
        recorded_at=now,
        updated_at=now,
    )
    session.add(activity)
    session.flush()
    _audit(session, actor, on_behalf, ADD, activity, settings, now)
    return activity


def find_activity(
    session: Session, activity_id: int, *, for_update: bool = False
) -> GuidanceActivity:
    query = select(GuidanceActivity).where(GuidanceActivity.id == activity_id)
    found = session.exec(query.with_for_update() if for_update else query).first()
    if found is None:
        raise NotFound("guidance.not_found", activity=activity_id)
    return found


def edit_activity(
    session: Session,
    activity_id: int,
    given: ActivityInput,
    actor: Actor,
    settings: Settings,
    *,
    revision: int | None = None,
    reason: str = "",
    today: date | None = None,
    now: datetime | None = None,
) -> GuidanceActivity:
    """Change an activity (all its fields at once); `revision`, when given, must still be
    the stored one (somebody else's edit in between is refused, not overwritten)."""
    activity = find_activity(session, activity_id, for_update=True)
    if revision is not None and revision != activity.revision:
        raise Conflict("guidance.changed_meanwhile", activity=activity_id)
    on_behalf, given = _prepare(
        session,
        activity.agency_id,
        activity.unit_id,
        activity.year,
        given,
        actor,
        settings,
        today,
    )
    now = now or utcnow()
    for name in ("kind", "topic", "programme", "held_on", "title", "description", "attendance"):
        setattr(activity, name, getattr(given, name))
    activity.details = dict(given.details)
    activity.updated_at = now
    activity.revision += 1
    session.add(activity)
    session.flush()
    _audit(
        session, actor, on_behalf, EDIT, activity, settings, now, parse_text("reason", reason, 200)
    )
    return activity


def delete_activity(
    session: Session,
    activity_id: int,
    actor: Actor,
    settings: Settings,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> list[str]:
    """Delete an activity and its file rows; returns the stored paths of its files, which
    the caller removes after the commit (a rolled-back delete keeps them)."""
    activity = find_activity(session, activity_id, for_update=True)
    on_behalf = recorder_on_behalf(session, actor, activity.agency_id, settings)
    check_open(session, activity.agency_id, activity.year)
    files = session.exec(select(EvidenceFile).where(EvidenceFile.activity_id == activity_id)).all()
    paths = [f.stored_path for f in files]
    now = now or utcnow()
    _audit(
        session,
        actor,
        on_behalf,
        DELETE,
        activity,
        settings,
        now,
        parse_text("reason", reason, 200),
    )
    for each in files:
        session.delete(each)
    session.delete(activity)
    session.flush()
    return paths


def activities_of(
    session: Session,
    agency_id: int,
    year: int,
    *,
    unit_id: int | None = None,
    kind: str | None = None,
) -> list[GuidanceActivity]:
    """The agency's activities of `year`, by unit, date and id."""
    query = select(GuidanceActivity).where(
        GuidanceActivity.agency_id == agency_id, GuidanceActivity.year == year
    )
    if unit_id is not None:
        query = query.where(GuidanceActivity.unit_id == unit_id)
    if kind is not None:
        query = query.where(GuidanceActivity.kind == kind)
    return list(
        session.exec(
            query.order_by(
                col(GuidanceActivity.unit_id),
                col(GuidanceActivity.held_on),
                col(GuidanceActivity.id),
            )
        ).all()
    )
