"""Creation-unit forums (创建单位座谈会, Art. 12): recorded by an admin as evidence for
section 3 of the assessment (创建单位评价).

A forum has its date, the creation units present, the notes and the minutes file.
The minutes are copied into the upload folder after the commit that recorded the
forum (files are written after the commit), and then its path is stored
(`set_minutes`). Answers to the questionnaire given at a forum are entered with
`surveys.answering.enter_on_behalf` (channel `forum`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from workflow.community import campaigns
from workflow.community.models import CreationUnit, Forum, ForumAttendance
from workflow.core.errors import InvalidInput, NotFound
from workflow.core.text import clean_note


@dataclass(frozen=True)
class ForumView:
    forum: Forum
    units: list[CreationUnit]


def record_forum(
    session: Session,
    year: int,
    held_on: date,
    unit_ids: Sequence[int],
    *,
    notes: str = "",
    actor: str,
) -> Forum:
    """Record a forum of `year`'s assessment held on `held_on` with the units present."""
    campaigns.check_year(year)
    if not unit_ids:
        raise InvalidInput("forums.no_units")
    units = {uid: session.get(CreationUnit, uid) for uid in dict.fromkeys(unit_ids)}
    missing = [str(uid) for uid, unit in units.items() if unit is None]
    if missing:
        raise NotFound("units.not_found", ref=missing[0])
    forum = Forum(
        year=year,
        held_on=held_on,
        notes=clean_note(notes, field="note"),
        recorded_by=actor,
    )
    session.add(forum)
    session.flush()
    assert forum.id is not None
    session.add_all(ForumAttendance(forum_id=forum.id, unit_id=uid) for uid in units)
    session.flush()
    return forum


def set_minutes(session: Session, forum_id: int, path: str) -> Forum:
    """Store where the forum's minutes were copied (after the forum's commit)."""
    forum = session.get(Forum, forum_id)
    if forum is None:
        raise NotFound("forums.not_found", forum=forum_id)
    forum.minutes_path = path
    session.add(forum)
    session.flush()
    return forum


def forums_of(session: Session, year: int) -> list[ForumView]:
    """`year`'s forums by date, each with the units present (two queries)."""
    forums = session.exec(
        select(Forum).where(Forum.year == year).order_by(col(Forum.held_on), col(Forum.id))
    ).all()
    views = {forum.id: ForumView(forum, []) for forum in forums}
    if views:
        rows = session.exec(
            select(ForumAttendance.forum_id, CreationUnit)
            .join(CreationUnit, col(CreationUnit.id) == col(ForumAttendance.unit_id))
            .where(col(ForumAttendance.forum_id).in_(list(views)))
            .order_by(col(CreationUnit.id))
        ).all()
        for forum_id, unit in rows:
            views[forum_id].units.append(unit)
    return list(views.values())
