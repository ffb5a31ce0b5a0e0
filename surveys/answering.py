"""Answering the questionnaire, one tap at a time, with all state in the database.

A unit opens its invitation (`open_survey`), then each button press is a
`Press` applied by `press`: answer the current question, go back one question,
change an answer from the review screen, or submit. Every press is written at
once, so a bot that is killed and restarted resumes the unit exactly where it
was. A press that does not fit the current step (an old message, a repeated
tap, a question already left) is *stale*: it changes nothing and the caller
re-shows the current step. These are plain functions on a session; nothing
here knows Telegram.

An invitation closes with the questionnaire's date, and also as soon as the rated
agency no longer holds the status (withdrawn: 已取消优先推荐资格; rejected): the unit
is told so and no further answer is taken (RULES, questionnaire). The agency's
status is read in the same single SELECT as the rest of the screen.

An admin may enter a unit's answers given at a creation-unit forum (创建单位座谈会), on
paper or by phone, on its behalf (`enter_on_behalf`, Art. 12): the same rules apply
(only a guided unit, the questionnaire open, the agency still holding the status),
and the submission records its channel and who entered it.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, SQLModel, col, select

from surveys.errors import Conflict, InvalidInput, NotFound, Refused, survey_texts
from surveys.invitations import TOKEN_PATTERN, find_invitation, new_token
from surveys.models import ADMIN_CHANNELS, DONE, REVIEW, Invitation, Submission, SurveyProgress
from surveys.questionnaire import ITEM_NUMBERS, POINTS
from surveys.respondents import Respondent
from workflow.community.campaigns import default_date, is_open
from workflow.community.models import Campaign, CreationUnit
from workflow.core.clock import utcnow
from workflow.core.db import insert_or_skip
from workflow.core.settings import Settings
from workflow.lifecycle.states import State, code_of
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
    agency_status: str = ""

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
    session: Session,
    token: str,
    respondent: Respondent,
    settings: Settings,
    now: datetime | None = None,
) -> Opened:
    """Open an invitation from its link: bind the first respondent (in Telegram or a
    browser), resume or reopen the survey.

    Reopening after submitting goes to the review screen, so the unit can change
    answers and submit again until the questionnaire closes.
    """
    now = now or utcnow()
    if not TOKEN_PATTERN.fullmatch(token):
        raise NotFound("survey.unknown_token")
    for _ in range(CAS_ATTEMPTS):
        view = _read(session, settings, token=token)
        if view is None:
            raise NotFound("survey.unknown_token")
        _refuse_if_closed(view.survey, now, settings)
        _refuse_if_taken(view, respondent)
        unbound = view.opened_at is None or view.respondent is None
        if unbound and not _bind(session, view.survey.invitation_id, respondent, now):
            continue  # someone opened it meanwhile: read again
        survey = view.survey
        if view.revision is None:  # the first open: the survey starts at question 1
            _start_progress(session, survey.invitation_id, now)
        elif survey.done:
            reopened = _write_progress(
                session, survey, (REVIEW, survey.answers), view.revision, now
            )
            if reopened is None:
                continue  # a tap or a new screen wrote first: read again
            survey = reopened
        return Opened(survey, first_time=view.opened_at is None)
    raise Conflict("survey.busy")


@dataclass(frozen=True)
class Looked:
    """An invitation as a page shows it before anyone presses anything: the survey, who
    is bound to it (None: nobody yet) and, if it is closed, the refusal that says why."""

    survey: Survey
    respondent: Respondent | None
    closed: Refused | None


def look(session: Session, token: str, settings: Settings, now: datetime | None = None) -> Looked:
    """Read an invitation by its token and bind nothing: a link scanner or a landing page
    may open a URL before the person it was sent to does."""
    view = _read(session, settings, token=token) if TOKEN_PATTERN.fullmatch(token) else None
    if view is None:
        raise NotFound("survey.unknown_token")
    try:
        _refuse_if_closed(view.survey, now or utcnow(), settings)
    except Refused as refusal:
        return Looked(view.survey, view.respondent, refusal)
    return Looked(view.survey, view.respondent, None)


def _refuse_if_taken(view: _View, respondent: Respondent) -> None:
    """Refuse a respondent other than the bound one: on the other channel, name it."""
    bound = view.respondent
    if bound is None or bound == respondent:
        return
    if bound.channel != respondent.channel:
        raise Refused("survey.taken_elsewhere", channel=channel_label(bound.channel))
    raise Refused("survey.taken")


def _bind(session: Session, invitation_id: int, respondent: Respondent, now: datetime) -> bool:
    """Bind the invitation to `respondent` (if nobody else has it) and note when it was
    opened: one conditional UPDATE, so of two openers at once exactly one is bound."""
    invitation = sa.inspect(Invitation).columns
    stamp = invitation.bound_at.type  # UTCDateTime: the value is checked and stored as UTC
    statement = (
        sa.update(Invitation)
        .where(
            invitation.id == invitation_id,
            sa.or_(
                invitation.respondent_key.is_(None),
                sa.and_(
                    invitation.respondent_channel == respondent.channel,
                    invitation.respondent_key == respondent.key,
                ),
            ),
        )
        .values(
            respondent_channel=respondent.channel,
            respondent_key=respondent.key,
            bound_user_id=respondent.telegram_user,
            bound_at=sa.func.coalesce(invitation.bound_at, sa.literal(now, stamp)),
            opened_at=sa.func.coalesce(invitation.opened_at, sa.literal(now, stamp)),
        )
    )
    bound = session.connection().execute(statement).rowcount == 1
    _reload(session, Invitation, invitation_id)
    return bool(bound)


def _reload(session: Session, model: type[SQLModel], key: int) -> None:
    """Reload the ORM's copy of a row written here with a plain statement, if the caller's
    session holds one (a test, a CLI command; never a chat tap's fresh session)."""
    loaded = session.identity_map.get(identity_key(model, key))
    if loaded is not None:
        session.refresh(loaded)


def _start_progress(session: Session, invitation_id: int, now: datetime) -> None:
    """The progress row at question 1, unless another unit (the same link opened twice at
    once) has just made it: then that one stands."""
    session.connection().execute(
        insert_or_skip(session, SurveyProgress)
        .values(invitation_id=invitation_id, position=1, revision=0, started_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["invitation_id"])
    )
    _reload(session, SurveyProgress, invitation_id)


def press(
    session: Session,
    action: Press,
    respondent: Respondent,
    settings: Settings,
    message_id: int | None = None,
    now: datetime | None = None,
    *,
    token: str | None = None,
) -> Pressed:
    """Apply one press (a chat button on message `message_id`, or a web form) from
    `respondent`, or find it stale. A web form names its invitation by the `token` in
    its URL instead of the press's invitation id (one read instead of two).

    One read of everything the screen needs, then one compare-and-set UPDATE
    (plus the submission's INSERT on submit): the write happens only if nobody
    wrote the progress since it was read. Presses of one chat handled at the
    same time thus never overwrite each other: the loser reads again and, as
    the step has moved on, is stale. A web form names the step it showed (its item),
    so a second tab or the back button is stale by the same rule; only chat screens
    have message ids.
    """
    now = now or utcnow()
    for _ in range(CAS_ATTEMPTS):
        if token is not None:
            view = _read(session, settings, token=token) if TOKEN_PATTERN.fullmatch(token) else None
            if view is None:
                raise NotFound("survey.unknown_token")
        else:
            view = _read(session, settings, invitation_id=action.invitation_id)
        if view is None or view.respondent != respondent:
            raise Refused("survey.not_yours")
        _refuse_if_closed(view.survey, now, settings)
        if view.revision is None:  # opened before progress was kept: start it now
            _start_progress(session, view.survey.invitation_id, now)
            continue
        survey = view.survey
        current = respondent.channel != "telegram" or is_current(message_id, survey.message_id)
        moved = _apply(survey, action) if current else None
        if moved is None:
            return Pressed(survey, accepted=False)
        changed = _write_progress(session, survey, moved, view.revision, now)
        if changed is None:
            continue  # someone else wrote first: read again
        receipt = None
        if action.action is Action.SUBMIT:
            receipt = _submit(session, survey, respondent.user_id, now, channel=respondent.channel)
            changed = replace(changed, receipt=receipt, submitted_at=now)
        return Pressed(changed, accepted=True, receipt=receipt)
    raise Conflict("survey.busy")


CAS_ATTEMPTS = 5


@dataclass(frozen=True)
class _View:
    """One read of a survey: the screen's values, whose it is and the progress revision."""

    survey: Survey
    respondent: Respondent | None
    opened_at: datetime | None
    revision: int | None


def _read(
    session: Session,
    settings: Settings,
    *,
    invitation_id: int | None = None,
    token: str | None = None,
) -> _View | None:
    """The invitation (by id or by token), names, the agency's status, closing date,
    progress and latest receipt, in one SELECT."""
    key, value = ("token", token) if token is not None else ("id", invitation_id)
    query = _read_query(key)
    row: Any = session.connection().execute(query, {"key": value}).first()
    if row is None:
        return None
    (id_, channel, key, opened_at, year, unit, agency, agency_status, closes, position, *rest) = row
    items, (message, revision, receipt, submitted_at) = rest[:5], rest[5:]
    if closes is None:  # nobody set this year's dates: the defaults, without storing them
        closes = default_date(year, "questionnaire_closes", settings)
    answers = {n: v for n, v in enumerate(items, start=1) if v is not None}
    survey = Survey(
        invitation_id=id_,
        unit=unit,
        agency=agency,
        year=year,
        closes=closes,
        position=position if position is not None else 1,
        answers=answers,
        message_id=message,
        receipt=receipt,
        submitted_at=submitted_at,
        agency_status=agency_status,
    )
    bound = Respondent(channel, key) if key is not None else None
    return _View(survey, bound, opened_at, revision)


PROGRESS_COLUMNS = (
    SurveyProgress.position,
    SurveyProgress.item1,
    SurveyProgress.item2,
    SurveyProgress.item3,
    SurveyProgress.item4,
    SurveyProgress.item5,
    SurveyProgress.message_id,
)


@cache
def _read_query(key: str) -> sa.Executable:
    """The statement of `_read` by invitation `key` ("id" or "token"), built once:
    building it costs more than running it."""
    latest = (
        select(Submission.id)
        .where(Submission.invitation_id == Invitation.id)
        .order_by(col(Submission.submitted_at).desc(), col(Submission.id).desc())
        .limit(1)
        .correlate(Invitation)
        .scalar_subquery()
    )
    return (
        sa.select(
            *(
                col(column)
                for column in (
                    Invitation.id,
                    Invitation.respondent_channel,
                    Invitation.respondent_key,
                    Invitation.opened_at,
                    Invitation.year,
                    CreationUnit.name,
                    Agency.name,
                    Agency.status,
                    Campaign.questionnaire_closes,
                    *PROGRESS_COLUMNS,
                    SurveyProgress.revision,
                    Submission.receipt,
                    Submission.submitted_at,
                )
            )
        )
        .join(CreationUnit, col(CreationUnit.id) == Invitation.unit_id)
        .join(Agency, col(Agency.id) == Invitation.agency_id)
        .outerjoin(Campaign, col(Campaign.year) == Invitation.year)
        .outerjoin(SurveyProgress, col(SurveyProgress.invitation_id) == Invitation.id)
        .outerjoin(Submission, col(Submission.id) == latest)
        .where(sa.inspect(Invitation).columns[key] == sa.bindparam("key"))
    )


def _apply(survey: Survey, action: Press) -> tuple[int, dict[int, int]] | None:
    """Where a press that fits the current step leads: (position, answers); None if stale."""
    position, item, answers = survey.position, action.item, dict(survey.answers)
    if action.action is Action.ANSWER and item == position and action.points in POINTS:
        answers[item] = action.points
        return next_position(answers), answers
    if action.action is Action.BACK and item == position and item is not None and item > 1:
        return item - 1, answers
    if action.action is Action.CHANGE and position == REVIEW and item in ITEM_NUMBERS:
        return item, answers
    if action.action is Action.SUBMIT and position == REVIEW and len(answers) == 5:
        return DONE, answers
    return None


def _write_progress(
    session: Session,
    survey: Survey,
    moved: tuple[int, dict[int, int]],
    revision: int,
    now: datetime,
) -> Survey | None:
    """Store the new step if the progress is still at `revision`; the survey as it now is."""
    position, answers = moved
    values: dict[str, object] = {f"new_item{n}": answers.get(n) for n in ITEM_NUMBERS}
    values |= {"invitation": survey.invitation_id, "seen": revision, "new_position": position}
    values |= {"new_revision": revision + 1, "now": now}
    written = session.connection().execute(_write_statement(), values).rowcount == 1
    _reload(session, SurveyProgress, survey.invitation_id)
    if not written:
        return None
    return replace(survey, position=position, answers=answers)


@cache
def _write_statement() -> sa.Executable:
    """The compare-and-set of `_write_progress`, built once (its values are parameters)."""
    items: dict[str, Any] = {f"item{n}": sa.bindparam(f"new_item{n}") for n in ITEM_NUMBERS}
    return (
        sa.update(SurveyProgress)
        .where(
            col(SurveyProgress.invitation_id) == sa.bindparam("invitation"),
            col(SurveyProgress.revision) == sa.bindparam("seen"),
        )
        .values(
            position=sa.bindparam("new_position"),
            revision=sa.bindparam("new_revision"),
            updated_at=sa.bindparam("now"),
            **items,
        )
    )


def is_current(message_id: int | None, recorded: int | None) -> bool:
    """Whether a press on chat message `message_id` is on the survey's current screen.

    Telegram numbers a chat's messages in order, and every screen the bot sends
    shows the step current when it was sent, so a message at least as new as the
    recorded one is current: handled concurrently, a press on a just-sent screen
    may arrive before the screen's id is recorded. Older messages are stale."""
    return recorded is None or (message_id is not None and message_id >= recorded)


def next_position(answers: dict[int, int]) -> int:
    """The first unanswered question, or the review screen when all five are answered."""
    missing = [number for number in ITEM_NUMBERS if number not in answers]
    return missing[0] if missing else REVIEW


def channel_label(channel: str, language: str | None = None) -> str:
    """座谈会, 纸质问卷, 电话, Telegram, 网页."""
    return survey_texts.text(f"survey.channel.{channel}", language)


@dataclass(frozen=True)
class Entered:
    """Answers an admin entered on a unit's behalf: the survey read and the receipt."""

    survey: Survey
    receipt: str
    replaced: bool
    channel: str
    """Whether the unit had submitted before (the earlier answers stay in the history)."""


def parse_answers(text: str) -> dict[int, int]:
    """Five answers typed as "4,3,4,4,3" (also "，" or spaces), each 0–4."""
    parts = [p for p in text.replace("，", ",").replace(" ", ",").split(",") if p]
    if len(parts) != len(ITEM_NUMBERS):
        raise InvalidInput("survey.entry.answer_count", given=text.strip(), count=len(parts))
    answers: dict[int, int] = {}
    for number, part in zip(ITEM_NUMBERS, parts, strict=True):
        if not (part.isascii() and part.isdigit()) or int(part) not in POINTS:
            raise InvalidInput("survey.entry.bad_answer", item=number, value=part)
        answers[number] = int(part)
    return answers


def enter_on_behalf(
    session: Session,
    unit: CreationUnit,
    agency: Agency,
    year: int,
    answers: dict[int, int],
    *,
    channel: str,
    actor: str,
    settings: Settings,
    now: datetime | None = None,
) -> Entered:
    """Record a unit's answers given at a forum, on paper or by phone (Art. 12), by the same
    rules as the chat: only a unit the agency guided that year, while the questionnaire is
    open and the agency holds the status; the latest submission counts, earlier ones stay.
    A guided unit without an invitation yet gets one (its link can still be handed out)."""
    now = now or utcnow()
    channel = code_of(channel, ADMIN_CHANNELS, channel_label) or channel
    if channel not in ADMIN_CHANNELS:
        raise InvalidInput("survey.entry.bad_channel", channel=channel)
    if sorted(answers) != list(ITEM_NUMBERS) or any(v not in POINTS for v in answers.values()):
        raise InvalidInput("survey.entry.answer_count", given=answers, count=len(answers))
    assert unit.id is not None and agency.id is not None
    try:
        invitation = find_invitation(session, unit, agency, year)
    except NotFound as missing:
        if missing.key != "survey.no_invitation":
            raise  # not guided that year
        invitation = Invitation(unit_id=unit.id, agency_id=agency.id, year=year, token=new_token())
        session.add(invitation)
        session.flush()
    assert invitation.id is not None
    view = _read(session, settings, invitation_id=invitation.id)
    assert view is not None
    _refuse_if_closed(view.survey, now, settings)
    survey = replace(view.survey, answers=dict(answers))
    receipt = _submit(session, survey, 0, now, channel=channel, entered_by=actor)
    if view.revision is not None:  # the chat resumes at the answers entered
        session.connection().execute(
            sa.update(SurveyProgress)
            .where(col(SurveyProgress.invitation_id) == invitation.id)
            .values(
                position=DONE,
                **{f"item{number}": answers[number] for number in ITEM_NUMBERS},
                revision=col(SurveyProgress.revision) + 1,
                updated_at=now,
            )
        )
        _reload(session, SurveyProgress, invitation.id)
    return Entered(survey, receipt, replaced=view.survey.receipt is not None, channel=channel)


def _submit(
    session: Session,
    survey: Survey,
    user_id: int,
    now: datetime,
    *,
    channel: str = "telegram",
    entered_by: str = "",
) -> str:
    """Store the answers as a new submission; its receipt (unique by the table's constraint:
    40 random bits, so a clash is a one-in-a-trillion retry, not a lookup on every submit)."""
    receipt = base64.b32encode(secrets.token_bytes(5)).decode()
    answers = survey.answers
    session.connection().execute(
        sa.insert(Submission).values(
            invitation_id=survey.invitation_id,
            **{f"item{number}": answers[number] for number in ITEM_NUMBERS},
            receipt=receipt,
            user_id=user_id,
            submitted_at=now,
            channel=channel,
            entered_by=entered_by,
        )
    )
    return receipt


def resume_point(
    session: Session, user_id: int, settings: Settings, now: datetime | None = None
) -> Survey | None:
    """The survey `user_id` was last answering and has not submitted since (None if none).

    Raises `Refused("survey.closed")` when that survey's questionnaire has closed.
    """
    invitation_id = unfinished_of(session, user_id)
    view = _read(session, settings, invitation_id=invitation_id) if invitation_id else None
    if view is None:
        return None
    _refuse_if_closed(view.survey, now or utcnow(), settings)
    return view.survey


def record_message(session: Session, invitation_id: int, message_id: int) -> None:
    """Remember which chat message shows the current step: presses on older ones are
    stale. Only ever forward (a late record of an older screen changes nothing), and
    with a new revision, so that a press read before this write cannot be applied."""
    newer = sa.or_(
        col(SurveyProgress.message_id).is_(None), col(SurveyProgress.message_id) < message_id
    )
    session.connection().execute(
        sa.update(SurveyProgress)
        .where(col(SurveyProgress.invitation_id) == invitation_id, newer)
        .values(message_id=message_id, revision=col(SurveyProgress.revision) + 1)
    )
    _reload(session, SurveyProgress, invitation_id)


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


# The rated agency no longer holds the status: its invitations are closed.
AGENCY_CLOSED = {
    State.WITHDRAWN: "survey.agency_withdrawn",
    State.REJECTED: "survey.agency_rejected",
}
# Refusals after which the survey's buttons are gone for good (the chat removes them).
CLOSING_REFUSALS = frozenset({"survey.closed", *AGENCY_CLOSED.values()})


def invitation_closed_for(agency_status: str) -> bool:
    """Whether an invitation to rate an agency in `agency_status` is closed (withdrawn,
    rejected), whatever the questionnaire's date: one rule for answering and coverage."""
    return agency_status in AGENCY_CLOSED


def _refuse_if_closed(survey: Survey, now: datetime, settings: Settings) -> None:
    if invitation_closed_for(survey.agency_status):
        key = AGENCY_CLOSED[State(survey.agency_status)]
        raise Refused(key, agency=survey.agency, year=survey.year)
    if not is_open(survey.closes, now, settings):
        raise Refused("survey.closed", year=survey.year, closes=survey.closes.isoformat())
