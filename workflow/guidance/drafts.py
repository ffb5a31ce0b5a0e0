"""An activity recorded step by step (the agency chat's guided flow), kept in the
database so it resumes at its step after a restart.

Steps: unit → kind → topic (kinds that have one) or programme (a project for a unit
guided in both programmes) → date → description → files. A
draft at `CHOICE` holds a file sent with no flow open, waiting for the contact to say
what it is. Every step is checked here, with the rules of `activities` (the unit must
be guided that year, the date within the guidance and the campaign), so a channel
only shows the steps. A press belongs to the draft's current screen only if it
names the current step on a message at least as new as the one recorded
(`is_current`, as the survey's stale rule); anything else changes nothing.
The functions flush and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from workflow.access.actors import Actor
from workflow.community.models import CreationUnit, Guidance
from workflow.core.clock import utcnow
from workflow.core.errors import Refused
from workflow.core.settings import Settings
from workflow.guidance import activities, kinds
from workflow.guidance.models import ActivityDraft, GuidanceActivity

UNIT = "unit"
KIND = "kind"
TOPIC = "topic"
PROGRAMME = "programme"
DATE = "date"
DESCRIPTION = "description"
FILES = "files"
CHOICE = "choice"
STEPS = (UNIT, KIND, TOPIC, PROGRAMME, DATE, DESCRIPTION, FILES, CHOICE)
MONTH_DAY = re.compile(r"^\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?\s*$")


@dataclass(frozen=True)
class PendingFile:
    """A Telegram file waiting on a draft (ids and what Telegram said about it)."""

    file_id: str
    unique_id: str
    name: str
    mime: str
    size: int | None


def draft_of(session: Session, recorder: str, *, for_update: bool = False) -> ActivityDraft | None:
    """The recorder's draft; `for_update` when the caller advances it: two presses handled
    at once (updates run concurrently) then queue on the row, and the second finds the
    step already moved on instead of recording the activity twice."""
    query = select(ActivityDraft).where(ActivityDraft.recorder == recorder)
    if for_update:
        query = query.with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).first()


def is_current(draft: ActivityDraft | None, step: str, message_id: int | None) -> bool:
    """Whether a press on `message_id` naming `step` is on the draft's current screen."""
    if draft is None or draft.step != step:
        return False
    return draft.message_id is None or (message_id is not None and message_id >= draft.message_id)


def _save(session: Session, draft: ActivityDraft, step: str) -> ActivityDraft:
    draft.step, draft.updated_at = step, utcnow()
    session.add(draft)
    session.flush()
    return draft


def start(
    session: Session,
    recorder: str,
    agency_id: int,
    year: int,
    *,
    step: str = UNIT,
    pending: PendingFile | None = None,
) -> ActivityDraft:
    """A new draft at `step` for the recorder, replacing any they had."""
    clear(session, recorder)
    draft = ActivityDraft(recorder=recorder, agency_id=agency_id, year=year, step=step)
    if pending is not None:
        hold_file(draft, pending)
    return _save(session, draft, step)


def hold_file(draft: ActivityDraft, pending: PendingFile) -> None:
    draft.file_id, draft.file_unique_id = pending.file_id, pending.unique_id
    draft.file_name, draft.file_mime = pending.name[:255], pending.mime[:100]
    draft.file_size = pending.size


def pending_file(draft: ActivityDraft) -> PendingFile | None:
    if not draft.file_id:
        return None
    return PendingFile(
        draft.file_id, draft.file_unique_id, draft.file_name, draft.file_mime, draft.file_size
    )


def drop_file(session: Session, draft: ActivityDraft) -> None:
    """The held file is dealt with (stored or attached)."""
    hold_file(draft, PendingFile("", "", "", "", None))
    session.add(draft)
    session.flush()


def set_message(session: Session, recorder: str, message_id: int) -> None:
    """The message showing the draft's current step (older ones are stale): one
    conditional UPDATE, forward only, so a draft finished or cancelled meanwhile (the
    contact pressed 完成 before this ran) is simply not there to update."""
    session.execute(
        update(ActivityDraft)
        .where(
            col(ActivityDraft.recorder) == recorder,
            or_(
                col(ActivityDraft.message_id).is_(None), col(ActivityDraft.message_id) < message_id
            ),
        )
        .values(message_id=message_id)
        .execution_options(synchronize_session="fetch")
    )


def clear(session: Session, recorder: str, *, holding: str | None = None) -> None:
    """Remove the recorder's draft; with `holding`, only while it still holds that file
    (a draft begun meanwhile, with another file, stays)."""
    draft = draft_of(session, recorder, for_update=True)
    if draft is not None and (holding is None or draft.file_id == holding):
        session.delete(draft)
        session.flush()


def units_of(session: Session, agency_id: int, year: int) -> list[CreationUnit]:
    """The units the agency guides in `year`, by district and name."""
    return list(
        session.exec(
            select(CreationUnit)
            .join(Guidance, col(Guidance.unit_id) == CreationUnit.id)
            .where(Guidance.agency_id == agency_id, Guidance.year == year)
            .order_by(col(CreationUnit.district), col(CreationUnit.name), col(CreationUnit.id))
        ).all()
    )


def choose_unit(session: Session, draft: ActivityDraft, unit_id: int) -> ActivityDraft:
    """The unit: one the agency guides this year (a forged button is refused)."""
    activities.guidance_of(session, draft.agency_id, unit_id, draft.year)
    draft.unit_id = unit_id
    return _save(session, draft, KIND)


def choose_kind(session: Session, draft: ActivityDraft, kind: str) -> ActivityDraft:
    draft.kind = kinds.parse_kind(kind)
    draft.topic = draft.programme = ""
    if draft.kind in kinds.TOPICS:
        return _save(session, draft, TOPIC)
    if draft.kind == kinds.PROJECT and draft.unit_id is not None:
        guidance = activities.guidance_of(session, draft.agency_id, draft.unit_id, draft.year)
        if guidance.safe_community and guidance.disaster_reduction:
            return _save(session, draft, PROGRAMME)
    return _save(session, draft, DATE)


def choose_programme(session: Session, draft: ActivityDraft, programme: str) -> ActivityDraft:
    """The programme of a project (checked against the guidance when it is saved)."""
    draft.programme = kinds.parse_programme(programme)
    return _save(session, draft, DATE)


def choose_topic(session: Session, draft: ActivityDraft, topic: str) -> ActivityDraft:
    draft.topic = kinds.parse_topic(draft.kind, topic)
    return _save(session, draft, DATE)


def read_day(text: str, year: int) -> date:
    """A date as typed in chat: 3月5日 (in the campaign's year) or a full date."""
    short = MONTH_DAY.match(text)
    if short:
        try:
            return date(year, int(short[1]), int(short[2]))
        except ValueError:
            pass  # 2月30日: refused below with the usual message
    return activities.parse_day(text)


def choose_date(
    session: Session, draft: ActivityDraft, held_on: date, settings: Settings, today: date
) -> ActivityDraft:
    """The day: within the unit's guidance and at most today and the report deadline."""
    assert draft.unit_id is not None
    guidance = activities.guidance_of(session, draft.agency_id, draft.unit_id, draft.year)
    activities.check_date(session, guidance, held_on, settings, today)
    draft.held_on = held_on
    return _save(session, draft, DESCRIPTION)


def save(
    session: Session,
    draft: ActivityDraft,
    description: str,
    actor: Actor,
    settings: Settings,
    today: date,
) -> GuidanceActivity:
    """Record the activity the draft describes; the draft goes on to collect its files."""
    if draft.unit_id is None or draft.held_on is None:
        raise Refused("guidance.draft_incomplete")
    given = activities.parse_fields(
        draft.kind,
        draft.held_on,
        topic=draft.topic,
        programme=draft.programme,
        description=description,
    )
    activity = activities.record_activity(
        session, draft.agency_id, draft.unit_id, draft.year, given, actor, settings, today=today
    )
    draft.description, draft.activity_id = given.description, activity.id
    _save(session, draft, FILES)
    return activity
