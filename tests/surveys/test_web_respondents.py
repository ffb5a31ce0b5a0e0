"""Browser respondents beside Telegram ones: `look` binds nothing, coverage names the
channel of each invitation, and reminders reach Telegram users only."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from surveys.answering import Action, Press, enter_on_behalf, look, open_survey, press
from surveys.coverage import channel_of, coverage, pending_recipients
from surveys.errors import NotFound
from surveys.models import Invitation, Submission
from surveys.respondents import Respondent
from tests.surveys.helpers import CLOSED_YEAR, OPEN_YEAR, guided_units
from workflow.core.settings import Settings

BROWSER = Respondent.web("c" * 43)


def test_look_reads_an_invitation_and_binds_nothing(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=1)
        invitation = guided.invitations[0]
        looked = look(session, invitation.token, settings)
        assert (looked.survey.unit, looked.survey.agency) == (
            guided.units[0].name,
            guided.agency.name,
        )
        assert looked.respondent is None and looked.closed is None
        session.refresh(invitation)
        assert invitation.opened_at is None and invitation.respondent_key is None
        open_survey(session, invitation.token, BROWSER, settings)
        assert look(session, invitation.token, settings).respondent == BROWSER
        with pytest.raises(NotFound, match="这个问卷链接无效"):
            look(session, "no such token!", settings)


def test_look_says_why_a_survey_is_closed(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        token = guided_units(session, count=1, year=CLOSED_YEAR).invitations[0].token
        closed = look(session, token, settings).closed
    assert closed is not None and closed.key == "survey.closed"


def test_coverage_names_the_channel_and_reminders_reach_telegram_users_only(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=4)
        tokens = [invitation.token for invitation in guided.invitations]
        open_survey(session, tokens[0], Respondent.telegram(42), settings)
        opened = open_survey(session, tokens[1], BROWSER, settings)
        press(session, Press(opened.survey.invitation_id, Action.ANSWER, 1, 4), BROWSER, settings)
        answers = dict.fromkeys(range(1, 6), 2)
        enter_on_behalf(
            session,
            guided.units[2],
            guided.agency,
            OPEN_YEAR,
            answers,
            channel="forum",
            actor="王管理",
            settings=settings,
        )
        session.commit()
        rows = {row.unit_id: row for row in coverage(session, OPEN_YEAR)}
        recipients = pending_recipients(session, OPEN_YEAR)
    channels = [rows[unit.id].channel for unit in guided.units]
    assert channels == ["telegram", "web", "admin", ""]
    labels = [rows[unit.id].channel_label("zh") for unit in guided.units]
    assert labels == ["Telegram", "网页", "管理员录入", ""]
    # the browser's unit is in progress but has no chat: only the Telegram user is reminded
    assert [recipient.chat_id for recipient in recipients] == [42]


def test_a_released_submission_keeps_its_channel() -> None:
    invitation = Invitation(unit_id=1, agency_id=1, year=OPEN_YEAR, token="t")
    submitted = Submission(invitation_id=1, receipt="R", user_id=0, channel="web")
    assert channel_of(invitation, submitted) == "web"
    assert channel_of(invitation, None) == ""
    assert channel_of(None, None) == ""
