"""Answering in the database: every tap saved, stale taps change nothing, history kept."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from surveys.answering import (
    Action,
    Press,
    Pressed,
    latest_submissions,
    open_survey,
    press,
    record_message,
    resume_point,
)
from surveys.errors import NotFound, Refused
from surveys.models import DONE, REVIEW, Invitation, Submission, SurveyProgress
from surveys.respondents import Respondent
from tests.surveys.helpers import CLOSED_YEAR, OPEN_YEAR, guided_units
from workflow.community.campaigns import closes_at
from workflow.core.db import transaction
from workflow.core.settings import Settings

STAFF, OTHER = 501, 502


def tap(
    session: Session,
    settings: Settings,
    invitation: Invitation,
    action: Action,
    item: int | None = None,
    points: int | None = None,
    *,
    user: int = STAFF,
    message_id: int | None = 77,
    **kwargs: object,
) -> Pressed:
    assert invitation.id is not None
    result = press(
        session,
        Press(invitation.id, action, item, points),
        Respondent.telegram(user),
        settings,
        message_id,
        **kwargs,
    )
    session.commit()
    return result


def opened(session: Session, settings: Settings, invitation: Invitation, user: int = STAFF) -> None:
    open_survey(session, invitation.token, Respondent.telegram(user), settings)
    assert invitation.id is not None
    record_message(session, invitation.id, 77)
    session.commit()


def answer_all(
    session: Session, settings: Settings, invitation: Invitation, points: list[int]
) -> None:
    for number, value in enumerate(points, start=1):
        assert tap(session, settings, invitation, Action.ANSWER, number, value).accepted


def progress(session: Session, invitation: Invitation) -> SurveyProgress:
    row = session.get(SurveyProgress, invitation.id)
    assert row is not None
    session.refresh(row)
    return row


def test_first_opener_is_bound_and_another_user_is_refused(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=1)
        invitation = guided.invitations[0]
        first = open_survey(session, invitation.token, Respondent.telegram(STAFF), settings)
        session.commit()
        assert first.first_time and first.survey.question == 1
        assert (first.survey.unit, first.survey.agency, first.survey.year) == (
            guided.units[0].name,
            guided.agency.name,
            OPEN_YEAR,
        )
        assert first.survey.closes == date(OPEN_YEAR, 12, 20)
        again = open_survey(session, invitation.token, Respondent.telegram(STAFF), settings)
        assert not again.first_time
        with pytest.raises(Refused) as refused:
            open_survey(session, invitation.token, Respondent.telegram(OTHER), settings)
        assert "另一位用户" in str(refused.value)
        session.refresh(invitation)
        assert invitation.bound_user_id == STAFF


def test_an_unknown_token_is_not_found(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine, expire_on_commit=False) as session, pytest.raises(NotFound):
        open_survey(
            session, "NoSuchToken_0000000000000000000", Respondent.telegram(STAFF), settings
        )


def test_five_answers_then_review_then_submit_gives_a_receipt(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
        opened(session, settings, invitation)
        answer_all(session, settings, invitation, [4, 3, 2, 1, 0])
        assert progress(session, invitation).position == REVIEW
        result = tap(session, settings, invitation, Action.SUBMIT)
        assert result.accepted and result.survey.done
        assert result.receipt is not None and re.fullmatch(r"[A-Z2-7]{8}", result.receipt)
        stored = session.exec(select(Submission)).one()
        assert (stored.item1, stored.item2, stored.item3, stored.item4, stored.item5) == (
            4,
            3,
            2,
            1,
            0,
        )
        assert (stored.receipt, stored.user_id) == (result.receipt, STAFF)


def test_each_answer_is_stored_as_it_is_given(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
        opened(session, settings, invitation)
        tap(session, settings, invitation, Action.ANSWER, 1, 3)
        tap(session, settings, invitation, Action.ANSWER, 2, 1)
    with Session(any_engine, expire_on_commit=False) as fresh:  # what a restarted bot finds
        row = fresh.get(SurveyProgress, invitation.id)
        assert row is not None
        assert (row.item1, row.item2, row.item3, row.position) == (3, 1, None, 3)


def test_back_shows_the_previous_answer_and_answering_it_returns_to_the_first_gap(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
        opened(session, settings, invitation)
        tap(session, settings, invitation, Action.ANSWER, 1, 2)
        tap(session, settings, invitation, Action.ANSWER, 2, 2)
        back = tap(session, settings, invitation, Action.BACK, 3)
        assert back.accepted and back.survey.question == 2 and back.survey.answers[2] == 2
        again = tap(session, settings, invitation, Action.ANSWER, 2, 4)
        assert again.survey.question == 3 and again.survey.answers == {1: 2, 2: 4}
        assert not tap(session, settings, invitation, Action.BACK, 1).accepted  # no question 0


def test_review_can_change_any_answer_then_returns_to_review(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
        opened(session, settings, invitation)
        answer_all(session, settings, invitation, [1, 1, 1, 1, 1])
        change = tap(session, settings, invitation, Action.CHANGE, 4)
        assert change.survey.question == 4
        done = tap(session, settings, invitation, Action.ANSWER, 4, 3)
        assert done.survey.reviewing and done.survey.answers == {1: 1, 2: 1, 3: 1, 4: 3, 5: 1}


@pytest.mark.parametrize(
    ("action", "item", "points"),
    [
        (Action.ANSWER, 1, 4),  # question already left
        (Action.ANSWER, 3, 4),  # question not reached
        (Action.BACK, 1, None),  # back from a question not shown
        (Action.CHANGE, 1, None),  # change only from the review screen
        (Action.SUBMIT, None, None),  # submit before the review screen
    ],
)
def test_a_press_that_does_not_fit_the_current_step_is_stale_and_changes_nothing(
    any_engine: Engine, settings: Settings, action: Action, item: int | None, points: int | None
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
        opened(session, settings, invitation)
        tap(session, settings, invitation, Action.ANSWER, 1, 2)
        before = progress(session, invitation).model_dump()
        result = tap(session, settings, invitation, action, item, points)
        assert not result.accepted and result.receipt is None
        assert result.survey.question == 2
        assert progress(session, invitation).model_dump() == before
        assert session.exec(select(Submission)).all() == []


def test_a_press_on_an_older_message_is_stale(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
        opened(session, settings, invitation)
        result = tap(session, settings, invitation, Action.ANSWER, 1, 4, message_id=12)
        assert not result.accepted and progress(session, invitation).item1 is None


def test_a_press_on_a_newer_screen_than_recorded_is_current(
    any_engine: Engine, settings: Settings
) -> None:
    """Handled concurrently, a press on a just-sent screen can come before its id is
    recorded; a late record of an older screen never moves the record back."""
    with Session(any_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
        opened(session, settings, invitation)  # screen 77 recorded
        assert tap(session, settings, invitation, Action.ANSWER, 1, 4, message_id=80).accepted
        assert invitation.id is not None
        record_message(session, invitation.id, 90)
        record_message(session, invitation.id, 85)  # late, older: ignored
        session.commit()
        assert progress(session, invitation).message_id == 90
        assert not tap(session, settings, invitation, Action.ANSWER, 2, 3, message_id=85).accepted
        assert tap(session, settings, invitation, Action.ANSWER, 2, 3, message_id=90).accepted


def test_a_repeated_submit_makes_one_submission(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
        opened(session, settings, invitation)
        answer_all(session, settings, invitation, [2, 2, 2, 2, 2])
        assert tap(session, settings, invitation, Action.SUBMIT).accepted
        repeat = tap(session, settings, invitation, Action.SUBMIT)
        assert not repeat.accepted and repeat.survey.done
        assert len(session.exec(select(Submission)).all()) == 1


def test_reopening_after_submit_allows_a_new_submission_and_keeps_the_history(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
        opened(session, settings, invitation)
        answer_all(session, settings, invitation, [2, 2, 2, 2, 2])
        first = tap(session, settings, invitation, Action.SUBMIT).receipt
        reopened = open_survey(
            session, invitation.token, Respondent.telegram(STAFF), settings
        ).survey
        session.commit()
        assert reopened.reviewing and reopened.receipt == first
        tap(session, settings, invitation, Action.CHANGE, 5)
        tap(session, settings, invitation, Action.ANSWER, 5, 4)
        second = tap(session, settings, invitation, Action.SUBMIT).receipt
        assert second and second != first
        history = session.exec(select(Submission).order_by(Submission.id)).all()
        assert [(s.receipt, s.item5) for s in history] == [(first, 2), (second, 4)]
        latest = latest_submissions(session, OPEN_YEAR)
        assert latest[invitation.id].receipt == second


def test_only_the_bound_user_may_press(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
        opened(session, settings, invitation)
        with pytest.raises(Refused) as refused:
            tap(session, settings, invitation, Action.ANSWER, 1, 4, user=OTHER)
        assert "不属于您" in str(refused.value)
        assert progress(session, invitation).item1 is None


def test_after_closing_nothing_can_be_opened_or_changed(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        closed = guided_units(session, count=1, year=CLOSED_YEAR).invitations[0]
        with pytest.raises(Refused) as refused:
            open_survey(session, closed.token, Respondent.telegram(STAFF), settings)
        assert "已于 2020-12-20 截止" in str(refused.value)
        session.refresh(closed)
        assert closed.bound_user_id is None

        invitation = guided_units(session, count=1).invitations[0]
        opened(session, settings, invitation)
        after = closes_at(date(OPEN_YEAR, 12, 20), settings) + timedelta(seconds=1)
        with pytest.raises(Refused):
            tap(session, settings, invitation, Action.ANSWER, 1, 4, now=after)
        assert progress(session, invitation).item1 is None
        with pytest.raises(Refused):
            resume_point(session, STAFF, settings, now=after)


def test_resume_point_is_the_unfinished_survey_at_its_question(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        first, second = guided_units(session, count=2).invitations
        assert resume_point(session, STAFF, settings) is None
        opened(session, settings, first)
        tap(session, settings, first, Action.ANSWER, 1, 3)
        opened(session, settings, second)
        survey = resume_point(session, STAFF, settings)
        assert survey is not None and survey.invitation_id == second.id and survey.question == 1
        answer_all(session, settings, second, [1, 1, 1, 1, 1])
        tap(session, settings, second, Action.SUBMIT)
        assert progress(session, second).position == DONE
        survey = resume_point(session, STAFF, settings)
        assert survey is not None and survey.invitation_id == first.id and survey.question == 2


def _in_thread(work: Callable[[], object]) -> tuple[threading.Thread, dict[str, object]]:
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["result"] = work()
        except Exception as error:  # the test asserts there was none
            out["result"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


@pytest.mark.postgres
def test_the_same_link_opened_twice_at_once_starts_one_survey(
    pg_engine: Engine, settings: Settings
) -> None:
    with Session(pg_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
    first = Session(pg_engine)
    open_survey(
        first, invitation.token, Respondent.telegram(STAFF), settings
    )  # not committed yet: holds the rows

    def second() -> object:
        with transaction(pg_engine) as session:
            return open_survey(session, invitation.token, Respondent.telegram(STAFF), settings)

    thread, out = _in_thread(second)
    time.sleep(0.3)  # the second open now waits for the first's row lock
    first.commit()
    first.close()
    thread.join()
    assert not isinstance(out["result"], Exception), out["result"]
    with Session(pg_engine) as session:
        rows = session.exec(select(SurveyProgress)).all()
        assert [(row.invitation_id, row.position) for row in rows] == [(invitation.id, 1)]


@pytest.mark.postgres
def test_reopening_after_submit_reads_again_when_a_write_came_first(
    pg_engine: Engine, settings: Settings
) -> None:
    with Session(pg_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
        opened(session, settings, invitation)
        answer_all(session, settings, invitation, [3, 3, 3, 3, 3])
        tap(session, settings, invitation, Action.SUBMIT)
    assert invitation.id is not None
    invitation_id = invitation.id
    screen = Session(pg_engine)
    record_message(screen, invitation_id, 500)  # a new screen, not committed yet

    def reopen() -> object:
        with transaction(pg_engine) as session:
            return open_survey(session, invitation.token, Respondent.telegram(STAFF), settings)

    thread, out = _in_thread(reopen)
    time.sleep(0.3)
    screen.commit()
    screen.close()
    thread.join()
    result = out["result"]
    assert not isinstance(result, Exception), result
    with Session(pg_engine) as session:
        stored = session.get(SurveyProgress, invitation_id)
        assert stored is not None and stored.position == REVIEW
    assert getattr(result, "survey").position == REVIEW  # noqa: B009


def test_times_written_on_opening_are_stored_as_utc(engine: Engine, settings: Settings) -> None:
    local = datetime(2027, 3, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with Session(engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
        open_survey(session, invitation.token, Respondent.telegram(STAFF), settings, now=local)
        session.commit()
    with Session(engine) as session:
        row = session.get(Invitation, invitation.id)
        progress_row = session.get(SurveyProgress, invitation.id)
        assert row is not None and progress_row is not None
        assert row.opened_at == row.bound_at == progress_row.started_at == local
        assert row.opened_at is not None and row.opened_at.utcoffset() == timedelta(0)


def test_answers_in_january_belong_to_the_campaign_whose_questionnaire_is_open(
    any_engine: Engine, settings: Settings
) -> None:
    """RULES, annual assessment: a year's notice may move the questionnaire's close into
    the next year; answers belong to the campaign they were given for (Asia/Shanghai)."""
    from workflow.community.campaigns import set_campaign_dates

    beijing = ZoneInfo("Asia/Shanghai")
    with Session(any_engine, expire_on_commit=False) as session:
        year = OPEN_YEAR
        (invitation,) = guided_units(session, count=1, year=year).invitations
        set_campaign_dates(
            session,
            year,
            settings,
            report_due=date(year + 1, 1, 15),
            questionnaire_closes=date(year + 1, 1, 20),
            results_published=date(year + 1, 3, 31),
        )
        session.commit()
        january = datetime(year + 1, 1, 18, 10, 0, tzinfo=beijing)
        open_survey(session, invitation.token, Respondent.telegram(STAFF), settings, now=january)
        assert invitation.id is not None
        record_message(session, invitation.id, 77)
        session.commit()
        for number in range(1, 6):
            assert tap(
                session, settings, invitation, Action.ANSWER, number, 4, now=january
            ).accepted
        receipt = tap(session, settings, invitation, Action.SUBMIT, now=january).receipt
        assert receipt is not None
        assert latest_submissions(session, year)[invitation.id].receipt == receipt
        late = datetime(year + 1, 1, 21, 0, 1, tzinfo=beijing)  # past 20 January in Beijing
        with pytest.raises(Refused) as caught:
            open_survey(session, invitation.token, Respondent.telegram(STAFF), settings, now=late)
        assert caught.value.key == "survey.closed"
        assert f"{year + 1}-01-20" in caught.value.message("zh")
