"""Material review's publication (Art. 10(1)): the list invited to interview
(面试答辩名单), recorded and audited in the caller's unit of work and written by the
caller after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session

from workflow.access.actors import Actor, Role
from workflow.access.roles import require_role
from workflow.core.clock import utcnow
from workflow.core.errors import Refused
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings, get_settings
from workflow.lifecycle.audit import append
from workflow.lifecycle.states import State
from workflow.registry.models import Agency, Application
from workflow.rounds.lists import file_stem, write_list
from workflow.rounds.models import Round
from workflow.rounds.ranking import find_round, members, received_date


@dataclass(frozen=True)
class Invited:
    """One agency on the interview list."""

    number: int
    agency: Agency
    application: Application
    received_on: date


@dataclass(frozen=True)
class InterviewList:
    """A round's list invited to interview, and when it was first published."""

    round: Round
    invited: list[Invited]
    published_at: datetime


def interview_list(session: Session, the_round: Round, settings: Settings) -> list[Invited]:
    """The round's agencies that passed material review (every open application past
    `applied`), in the order their written applications were received."""
    assert the_round.id is not None
    passed = [
        (received_date(application, settings), application.id or 0, application, agency)
        for application, agency in members(session, the_round.id)
        if agency.status != State.APPLIED
    ]
    passed.sort(key=lambda row: (row[0], row[1]))
    return [
        Invited(number, agency, application, received)
        for number, (received, _, application, agency) in enumerate(passed, start=1)
    ]


def publish_interview_list(
    session: Session,
    round_ref: str | int,
    actor: Actor,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> InterviewList:
    """Publish the round's interview list (admins only): refused while an application of
    the round still awaits material review, or when none passed it. The first
    publication is stamped on the round; each one is audited. The caller writes the
    files with `write_interview_list` once the transaction has committed."""
    settings = settings or get_settings()
    now = now or utcnow()
    role = require_role(session, actor, Role.ADMIN, settings, "round.interview_list")
    the_round = find_round(session, round_ref)
    assert the_round.id is not None
    waiting = [g.name for _, g in members(session, the_round.id) if g.status == State.APPLIED]
    if waiting:
        separator = workflow_texts.text("lifecycle.list_separator")
        raise Refused(
            "lifecycle.round.review_pending", round=the_round.name, agencies=separator.join(waiting)
        )
    invited = interview_list(session, the_round, settings)
    if not invited:
        raise Refused("lifecycle.round.nobody_invited", round=the_round.name)
    if the_round.interview_list_at is None:
        the_round.interview_list_at = now
        session.add(the_round)
        session.flush()
    append(
        session,
        actor=actor,
        role=role.value,
        trigger="round.interview_list",
        subject=f"{the_round.name}: {len(invited)}",
        at=now,
    )
    return InterviewList(the_round, invited, the_round.interview_list_at)


def write_interview_list(
    invited: list[Invited],
    directory: Path,
    round_name: str,
    language: str | None = None,
    anchor: str = "",
) -> list[Path]:
    """The interview list as `<round>-面试答辩名单.xlsx` and `.csv` (`-interview` in English):
    number, agency, credit code, 收件日期; then the audit `anchor` line."""
    headers = [
        workflow_texts.text(f"lifecycle.interview_list.{name}", language)
        for name in ("number", "agency", "credit_code", "received")
    ]
    rows = [
        (i.number, i.agency.name, i.agency.credit_code, i.received_on.isoformat()) for i in invited
    ]
    return write_list(
        directory,
        workflow_texts.text("lifecycle.interview_list.file", language, round=file_stem(round_name)),
        workflow_texts.text("lifecycle.interview_list.sheet", language),
        headers,
        rows,
        rows,
        (8, 40, 24, 14),
        anchor,
    )
