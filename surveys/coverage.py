"""Who has answered: the state of every guided unit's questionnaire, per agency and year.

Each guided unit is in exactly one state: not invited (no invitation issued
yet), invited (link not opened), opened (no answer yet), in progress (some
answers, never submitted), submitted (at least one submission; the latest
counts even while the unit is changing its answers again) or closed (the rated
agency was meanwhile withdrawn or rejected and the unit had not submitted: its
invitation takes no further answer and is not reminded). A unit that submitted
before the agency left stays "submitted": its answers are on record.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from openpyxl import Workbook
from sqlmodel import Session, col, select

from surveys.answering import channel_label, history, invitation_closed_for, latest_submissions
from surveys.errors import survey_texts
from surveys.models import ADMIN_CHANNELS, Invitation, Submission, SurveyProgress, answers_of
from workflow.community.models import CreationUnit
from workflow.community.units import guidance_for
from workflow.core.clock import local_text
from workflow.core.settings import Settings
from workflow.core.spreadsheets import save_workbook
from workflow.lifecycle.states import CLOSING
from workflow.registry.models import Agency
from workflow.reminders.cycle import UnitFacts
from workflow.reminders.outbox import undeliverable_chats
from workflow.reminders.plan import PendingUnit

UNIT_COLUMNS = (
    "year",
    "agency",
    "district",
    "unit",
    "status",
    "channel",
    "answered",
    "submitted_at",
    "receipt",
    "unreachable",
)


class Status(StrEnum):
    NOT_INVITED = "not_invited"
    INVITED = "invited"
    OPENED = "opened"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    CLOSED = "closed"

    def label(self, language: str | None = None) -> str:
        return survey_texts.text(f"survey.status.{self.value}", language)


@dataclass(frozen=True)
class UnitCoverage:
    """One guided unit's questionnaire for one agency."""

    agency_id: int
    agency: str
    unit_id: int
    unit: str
    district: str
    status: Status
    answered: int
    submitted_at: datetime | None
    receipt: str | None
    unreachable: bool = False  # the bound user blocked the bot: reminders cannot reach them
    channel: str = ""  # telegram, web or admin: see `channel_of`

    def channel_label(self, language: str | None = None) -> str:
        return channel_label(self.channel, language) if self.channel else ""


@dataclass(frozen=True)
class AgencyCoverage:
    """How many of an agency's guided units are in each state."""

    agency_id: int
    agency: str
    counts: dict[Status, int]

    @property
    def guided(self) -> int:
        return sum(self.counts.values())


def status_of(
    invitation: Invitation | None,
    answers: dict[int, int],
    submission: Submission | None,
    agency_status: str = "",
) -> Status:
    """The one state a guided unit is in, from its invitation, answers, latest submission
    and the rated agency's status (withdrawn or rejected: closed, unless submitted)."""
    if submission is not None:
        return Status.SUBMITTED
    if invitation_closed_for(agency_status):
        return Status.CLOSED
    if invitation is None:
        return Status.NOT_INVITED
    if answers:
        return Status.IN_PROGRESS
    return Status.OPENED if invitation.opened_at is not None else Status.INVITED


def channel_of(invitation: Invitation | None, submission: Submission | None) -> str:
    """How a unit answers: "admin" when its latest answers were entered by an admin (forum,
    paper, phone), else the channel its invitation is bound to ("telegram", "web"), else
    that of its latest submission (bound, submitted, then released); "" for neither."""
    if submission is not None and submission.channel in ADMIN_CHANNELS:
        return "admin"
    if invitation is not None and invitation.respondent_channel:
        return invitation.respondent_channel
    return submission.channel if submission is not None else ""


def invitation_status(session: Session, invitation: Invitation) -> Status:
    """The state of one invitation's questionnaire."""
    assert invitation.id is not None
    progress = session.get(SurveyProgress, invitation.id)
    submissions = history(session, invitation.id)
    answers = answers_of(progress) if progress else {}
    agency = session.get(Agency, invitation.agency_id)
    agency_status = agency.status if agency is not None else ""
    return status_of(invitation, answers, submissions[-1] if submissions else None, agency_status)


def coverage(session: Session, year: int) -> list[UnitCoverage]:
    """Every guided unit of `year` with the state of its questionnaire, by agency then unit."""
    invitations = {
        (inv.unit_id, inv.agency_id): inv
        for inv in session.exec(select(Invitation).where(Invitation.year == year)).all()
    }
    progress = {
        row.invitation_id: row
        for row in session.exec(
            select(SurveyProgress)
            .join(Invitation, col(Invitation.id) == col(SurveyProgress.invitation_id))
            .where(Invitation.year == year)
        ).all()
    }
    latest = latest_submissions(session, year)
    blocked = {chat_id for chat_id, _, _ in undeliverable_chats(session)}
    rows = []
    for guidance, unit, agency in guidance_for(session, year):
        invitation = invitations.get((guidance.unit_id, guidance.agency_id))
        answers: dict[int, int] = {}
        submission = None
        if invitation is not None and invitation.id is not None:
            submission = latest.get(invitation.id)
            answers = answers_of(progress[invitation.id]) if invitation.id in progress else {}
        status = status_of(invitation, answers, submission, agency.status)
        assert unit.id is not None and agency.id is not None
        rows.append(
            UnitCoverage(
                agency_id=agency.id,
                agency=agency.name,
                unit_id=unit.id,
                unit=unit.name,
                district=unit.district,
                status=status,
                answered=len(answers),
                submitted_at=submission.submitted_at if submission else None,
                receipt=submission.receipt if submission else None,
                unreachable=invitation is not None and invitation.bound_user_id in blocked,
                channel=channel_of(invitation, submission),
            )
        )
    return rows


def by_agency(rows: list[UnitCoverage]) -> list[AgencyCoverage]:
    """The per-agency counts of the unit rows, in the rows' order."""
    names: dict[int, str] = {}
    counts: dict[int, Counter[Status]] = {}
    for row in rows:
        names[row.agency_id] = row.agency
        counts.setdefault(row.agency_id, Counter())[row.status] += 1
    return [
        AgencyCoverage(agency_id, names[agency_id], {s: counts[agency_id][s] for s in Status})
        for agency_id in names
    ]


def write_xlsx(rows: list[UnitCoverage], path: Path, year: int, settings: Settings) -> Path:
    """The coverage report: a sheet of counts per agency and a sheet of every unit."""
    language = settings.language

    def t(key: str) -> str:
        return survey_texts.text(key, language)

    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = t("survey.sheet.by_agency")
    summary.append(
        [t(f"survey.col.{c}") for c in ("year", "agency_id", "agency", "guided")]
        + [s.label(language) for s in Status]
    )
    for agency in by_agency(rows):
        summary.append(
            [year, agency.agency_id, agency.agency, agency.guided]
            + [agency.counts[s] for s in Status]
        )
    units = workbook.create_sheet(t("survey.sheet.by_unit"))
    units.append([t(f"survey.col.{c}") for c in UNIT_COLUMNS])
    for row in rows:
        units.append(
            [
                year,
                row.agency,
                row.district,
                row.unit,
                row.status.label(language),
                row.channel_label(language),
                row.answered,
                local_text(row.submitted_at, settings.zone),
                row.receipt or "",
                t("survey.unreachable") if row.unreachable else "",
            ]
        )
    save_workbook(workbook, path)
    return path


def pending_recipients(session: Session, year: int) -> list[PendingUnit]:
    """Who to remind of `year`'s questionnaire: the chats bound to an invitation of `year`
    that has no submission yet, oldest invitation first.

    Units that never opened their link have no chat to remind: the Association
    sends them the link (or QR code) again. Invitations to rate an agency that was
    withdrawn or rejected are closed: nobody is reminded of them.
    """
    submitted = latest_submissions(session, year)
    rows = session.exec(
        select(Invitation, CreationUnit.name, Agency.name)
        .join(CreationUnit, col(CreationUnit.id) == col(Invitation.unit_id))
        .join(Agency, col(Agency.id) == col(Invitation.agency_id))
        .where(
            Invitation.year == year,
            col(Invitation.bound_user_id).is_not(None),
            col(Agency.status).not_in(CLOSING),
        )
        .order_by(col(Invitation.id))
    ).all()
    return [
        PendingUnit(
            chat_id=invitation.bound_user_id,
            unit_name=unit_name,
            agency_name=agency_name,
            invitation_key=str(invitation.id),
        )
        for invitation, unit_name, agency_name in rows
        if invitation.id not in submitted and invitation.bound_user_id is not None
    ]


def unit_facts(session: Session, year: int) -> UnitFacts:
    """The questionnaire's facts for the reminder plan of `year`."""
    settled = (Status.SUBMITTED, Status.CLOSED)
    not_submitted = sum(1 for unit in coverage(session, year) if unit.status not in settled)
    return UnitFacts(pending=pending_recipients(session, year), not_submitted=not_submitted)
