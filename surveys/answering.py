"""Answering the questionnaire, one tap at a time, with all state in the database.

A unit opens its invitation (`open_survey`), then each button press is a
`Press` applied by `press`: answer the current question, go back one question,
change an answer from the review screen, or submit. Every press is written at
once, so a bot that is killed and restarted resumes the unit exactly where it
was. A press that does not fit the current step (an old message, a repeated
tap, a question already left) is *stale*: it changes nothing and the caller
re-shows the current step. These are plain functions on a session; nothing
here knows Telegram.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from surveys.errors import NotFound, Refused
from surveys.invitations import by_token
from surveys.models import DONE, REVIEW, Invitation, Submission, SurveyProgress, answers_of
from surveys.questionnaire import ITEM_NUMBERS, POINTS
from workflow.community.campaigns import campaign_for, is_open
from workflow.community.models import CreationUnit
from workflow.core.clock import utcnow
from workflow.core.settings import Settings
from workflow.registry.models import Agency


class Action(StrEnum):
    """What a button does; the values are the short codes carried in callback data."""

    ANSWER = "a"
    BACK = "b"
    CHANGE = "c"
    SUBMIT = "s"


@dataclass(frozen=True)
class Press:
    """One button press: on which invitation, what, and for which item / points."""

    invitation_id: int
    action: Action
    item: int | None = None
    points: int | None = None


@dataclass(frozen=True)
class Survey:
    """What the unit sees now: whom it rates, where it is, what it has answered."""

    invitation_id: int
    unit: str
    agency: str
    year: int
    closes: date
    position: int
    answers: dict[int, int]
    message_id: int | None
    receipt: str | None
    submitted_at: datetime | None

    @property
    def question(self) -> int | None:
        """The question shown (1–5), or None on the review or done screen."""
        return self.position if self.position in ITEM_NUMBERS else None

    @property
    def reviewing(self) -> bool:
        return self.position == REVIEW

    @property
    def done(self) -> bool:
        return self.position == DONE


@dataclass(frozen=True)
class Opened:
    survey: Survey
    first_time: bool


@dataclass(frozen=True)
class Pressed:
    """The survey after a press; `accepted` is False for a stale press (nothing changed)."""

    survey: Survey
    accepted: bool
    receipt: str | None = None


def open_survey(
    session: Session, token: str, user_id: int, settings: Settings, now: datetime | None = None
) -> Opened:
    """Open an invitation from its link: bind the first user, resume or reopen the survey.

    Reopening after submitting goes to the review screen, so the unit can change
    answers and submit again until the questionnaire closes.
    """
    now = now or utcnow()
    invitation = by_token(session, token, lock=True)
    if invitation is None:
        raise NotFound("survey.unknown_token")
    _check_open(session, invitation, settings, now)
    if invitation.bound_user_id is None:
        invitation.bound_user_id, invitation.bound_at = user_id, now
    elif invitation.bound_user_id != user_id:
        raise Refused("survey.taken")
    first_time = invitation.opened_at is None
    invitation.opened_at = invitation.opened_at or now
    session.add(invitation)
    progress = _progress(session, invitation, now)
    if progress.position == DONE:
        progress.position, progress.updated_at = REVIEW, now
        session.add(progress)
    session.flush()
    return Opened(_survey(session, invitation, progress, settings), first_time)


def press(
    session: Session,
    action: Press,
    user_id: int,
    settings: Settings,
    message_id: int | None,
    now: datetime | None = None,
) -> Pressed:
    """Apply one button press from `user_id` on message `message_id`, or find it stale."""
    now = now or utcnow()
    invitation = session.get(Invitation, action.invitation_id)
    if invitation is None or invitation.bound_user_id != user_id:
        raise Refused("survey.not_yours")
    _check_open(session, invitation, settings, now)
    progress = _progress(session, invitation, now, lock=True)
    accepted, receipt = False, None
    if progress.message_id is None or progress.message_id == message_id:
        accepted, receipt = _apply(session, progress, action, user_id, now)
    session.flush()
    return Pressed(_survey(session, invitation, progress, settings), accepted, receipt)


def _apply(
    session: Session, progress: SurveyProgress, action: Press, user_id: int, now: datetime
) -> tuple[bool, str | None]:
    """Change the progress for a press that fits the current step: (True, receipt if submitted).

    (False, None) when the press does not fit (stale); nothing is changed then.
    """
    position, item = progress.position, action.item
    answers = answers_of(progress)
    if action.action is Action.ANSWER and item == position and action.points in POINTS:
        setattr(progress, f"item{item}", action.points)
        answers[item] = action.points
        progress.position = next_position(answers)
    elif action.action is Action.BACK and item == position and item is not None and item > 1:
        progress.position = item - 1
    elif action.action is Action.CHANGE and position == REVIEW and item in ITEM_NUMBERS:
        progress.position = item
    elif action.action is Action.SUBMIT and position == REVIEW and len(answers) == 5:
        receipt = _submit(session, progress, user_id, now)
        progress.position, progress.updated_at = DONE, now
        session.add(progress)
        return True, receipt
    else:
        return False, None
    progress.updated_at = now
    session.add(progress)
    return True, None


def next_position(answers: dict[int, int]) -> int:
    """The first unanswered question, or the review screen when all five are answered."""
    missing = [number for number in ITEM_NUMBERS if number not in answers]
    return missing[0] if missing else REVIEW


def _submit(session: Session, progress: SurveyProgress, user_id: int, now: datetime) -> str:
    receipt = new_receipt(session)
    answers = answers_of(progress)
    session.add(
        Submission(
            invitation_id=progress.invitation_id,
            item1=answers[1],
            item2=answers[2],
            item3=answers[3],
            item4=answers[4],
            item5=answers[5],
            receipt=receipt,
            user_id=user_id,
            submitted_at=now,
        )
    )
    return receipt


def new_receipt(session: Session) -> str:
    """8 characters of base32 (A–Z, 2–7) from 40 random bits, unused so far."""
    while True:
        receipt = base64.b32encode(secrets.token_bytes(5)).decode()
        if session.exec(select(Submission).where(Submission.receipt == receipt)).first() is None:
            return receipt


def resume_point(
    session: Session, user_id: int, settings: Settings, now: datetime | None = None
) -> Survey | None:
    """The survey `user_id` was last answering and has not submitted since (None if none).

    Raises `Refused("survey.closed")` when that survey's questionnaire has closed.
    """
    invitation_id = unfinished_of(session, user_id)
    invitation = session.get(Invitation, invitation_id) if invitation_id else None
    if invitation is None:
        return None
    now = now or utcnow()
    _check_open(session, invitation, settings, now)
    return _survey(session, invitation, _progress(session, invitation, now), settings)


def record_message(session: Session, invitation_id: int, message_id: int) -> None:
    """Remember which chat message shows the current step: presses on others are stale."""
    progress = session.get(SurveyProgress, invitation_id)
    if progress is not None:
        progress.message_id = message_id
        session.add(progress)
        session.flush()


def unfinished_of(session: Session, user_id: int) -> int | None:
    """The invitation `user_id` was last answering and has not submitted since, if any."""
    query = (
        select(SurveyProgress.invitation_id)
        .join(Invitation, col(Invitation.id) == col(SurveyProgress.invitation_id))
        .where(Invitation.bound_user_id == user_id, SurveyProgress.position != DONE)
        .order_by(col(SurveyProgress.updated_at).desc())
    )
    return session.exec(query).first()


def latest_submissions(session: Session, year: int) -> dict[int, Submission]:
    """The latest submission of every invitation of `year` (the unit's response)."""
    query = (
        select(Submission)
        .join(Invitation, col(Invitation.id) == col(Submission.invitation_id))
        .where(Invitation.year == year)
        .order_by(col(Submission.submitted_at), col(Submission.id))
    )
    return {row.invitation_id: row for row in session.exec(query).all()}


def history(session: Session, invitation_id: int) -> list[Submission]:
    """Every submission of one invitation, oldest first."""
    query = (
        select(Submission)
        .where(Submission.invitation_id == invitation_id)
        .order_by(col(Submission.submitted_at), col(Submission.id))
    )
    return list(session.exec(query).all())


def _check_open(
    session: Session, invitation: Invitation, settings: Settings, now: datetime
) -> None:
    closes = campaign_for(session, invitation.year, settings).questionnaire_closes
    if not is_open(closes, now, settings):
        raise Refused("survey.closed", year=invitation.year, closes=closes.isoformat())


def _progress(
    session: Session, invitation: Invitation, now: datetime, *, lock: bool = False
) -> SurveyProgress:
    query = select(SurveyProgress).where(SurveyProgress.invitation_id == invitation.id)
    progress = session.exec(query.with_for_update() if lock else query).first()
    if progress is None:
        assert invitation.id is not None
        progress = SurveyProgress(invitation_id=invitation.id, started_at=now, updated_at=now)
        session.add(progress)
        session.flush()
    return progress


def _survey(
    session: Session, invitation: Invitation, progress: SurveyProgress, settings: Settings
) -> Survey:
    unit = session.get(CreationUnit, invitation.unit_id)
    agency = session.get(Agency, invitation.agency_id)
    assert unit is not None and agency is not None and invitation.id is not None
    submissions = history(session, invitation.id)
    latest = submissions[-1] if submissions else None
    return Survey(
        invitation_id=invitation.id,
        unit=unit.name,
        agency=agency.name,
        year=invitation.year,
        closes=campaign_for(session, invitation.year, settings).questionnaire_closes,
        position=progress.position,
        answers=answers_of(progress),
        message_id=progress.message_id,
        receipt=latest.receipt if latest else None,
        submitted_at=latest.submitted_at if latest else None,
    )
