"""Art. 12 "召开创建单位座谈会等方式": a unit's answers given at a forum, on paper or by
phone are entered by an admin on its behalf, by the same rules as the chat, and each
submission carries its channel and who entered it (RULES, questionnaire)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from surveys.answering import (
    Action,
    enter_on_behalf,
    history,
    latest_submissions,
    parse_answers,
)
from surveys.errors import InvalidInput, NotFound, Refused
from surveys.models import DONE, Invitation, Submission, SurveyProgress
from surveys.scoring import answers_by_agency
from tests.surveys.helpers import CLOSED_YEAR, OPEN_YEAR, guided_units
from tests.surveys.test_answering import answer_all, opened, tap
from tests.workflow.assessment_builders import ADMIN
from tests.workflow.lifecycle_steps import agency_in
from workflow.community.units import add_unit
from workflow.core.settings import Settings
from workflow.lifecycle.engine import advance


def test_answers_given_at_a_forum_count_like_the_chat_and_say_who_entered_them(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=2)
        chat_unit, forum_unit = guided.invitations
        opened(session, settings, chat_unit)
        answer_all(session, settings, chat_unit, [4, 4, 4, 4, 4])
        tap(session, settings, chat_unit, Action.SUBMIT)
        entered = enter_on_behalf(
            session,
            guided.units[1],
            guided.agency,
            OPEN_YEAR,
            parse_answers("2，2 2,2,2"),
            channel="forum",
            actor="cli:王管理",
            settings=settings,
        )
        session.commit()
        assert entered.receipt and not entered.replaced
        latest = latest_submissions(session, OPEN_YEAR)
        assert (latest[chat_unit.id].channel, latest[chat_unit.id].entered_by) == ("telegram", "")
        row = latest[forum_unit.id]
        assert (row.channel, row.entered_by, row.user_id) == ("forum", "cli:王管理", 0)
        assert answers_by_agency(session, OPEN_YEAR)[guided.agency.id or 0] == [
            {1: 4, 2: 4, 3: 4, 4: 4, 5: 4},
            {1: 2, 2: 2, 3: 2, 4: 2, 5: 2},
        ]


def test_a_later_phone_entry_counts_and_the_earlier_answers_stay_in_the_history(
    any_engine: Engine, settings: Settings
) -> None:
    """The latest submitted answers count; earlier ones stay; the chat resumes at them."""
    with Session(any_engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=1)
        (invitation,) = guided.invitations
        opened(session, settings, invitation)
        answer_all(session, settings, invitation, [1, 1, 1, 1, 1])
        tap(session, settings, invitation, Action.SUBMIT)
        entered = enter_on_behalf(
            session,
            guided.units[0],
            guided.agency,
            OPEN_YEAR,
            {1: 3, 2: 3, 3: 4, 4: 3, 5: 4},
            channel="phone",
            actor="cli:王管理",
            settings=settings,
        )
        session.commit()
        assert entered.replaced
        assert [s.channel for s in history(session, invitation.id or 0)] == ["telegram", "phone"]
        row = session.get(SurveyProgress, invitation.id)
        assert row is not None
        session.refresh(row)
        assert row.position == DONE and (row.item1, row.item3) == (3, 4)


def test_a_guided_unit_without_an_invitation_gets_one_and_an_unguided_unit_is_refused(
    any_engine: Engine, settings: Settings
) -> None:
    """Only units the agency actually guided that year may rate it."""
    with Session(any_engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=1)
        stranger = add_unit(session, "未指导社区", "海淀区", safe_community=True)
        with pytest.raises(NotFound) as caught:
            enter_on_behalf(
                session,
                stranger,
                guided.agency,
                OPEN_YEAR,
                parse_answers("4,4,4,4,4"),
                channel="paper",
                actor="x",
                settings=settings,
            )
        assert caught.value.key == "survey.no_guidance"
        session.delete(guided.invitations[0])
        session.commit()
        enter_on_behalf(
            session,
            guided.units[0],
            guided.agency,
            OPEN_YEAR,
            parse_answers("4,4,4,4,4"),
            channel="paper",
            actor="x",
            settings=settings,
        )
        assert session.exec(select(Invitation)).one().unit_id == guided.units[0].id
        assert session.exec(select(Submission)).one().channel == "paper"


def test_a_closed_questionnaire_or_a_withdrawn_agency_refuses_the_entry(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        closed = guided_units(session, count=1, year=CLOSED_YEAR)
        with pytest.raises(Refused) as caught:
            enter_on_behalf(
                session,
                closed.units[0],
                closed.agency,
                CLOSED_YEAR,
                parse_answers("4,4,4,4,4"),
                channel="forum",
                actor="x",
                settings=settings,
            )
        assert caught.value.key == "survey.closed"
        agency = agency_in(session, "filed", settings)
        guided = guided_units(session, count=1, agency=agency)
        advance(
            session,
            agency.id or 0,
            "withdraw",
            ADMIN,
            "两名高级职称人员离职",
            ground="staff_change",
            settings=settings,
        )
        session.commit()
        with pytest.raises(Refused) as caught:
            enter_on_behalf(
                session,
                guided.units[0],
                agency,
                OPEN_YEAR,
                parse_answers("4,4,4,4,4"),
                channel="forum",
                actor="x",
                settings=settings,
            )
        assert caught.value.key == "survey.agency_withdrawn"
        assert session.exec(select(Submission)).all() == []


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("4,3,4,4", "survey.entry.answer_count"),
        ("4,3,4,4,5", "survey.entry.bad_answer"),
        ("4,3,4,4,x", "survey.entry.bad_answer"),
        ("4,3,4,4,-1", "survey.entry.bad_answer"),
    ],
)
def test_typed_answers_are_five_points_of_0_to_4(typed: str, key: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_answers(typed)
    assert caught.value.key == key


def test_only_an_admin_channel_can_be_entered(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=1)
        with pytest.raises(InvalidInput) as caught:
            enter_on_behalf(
                session,
                guided.units[0],
                guided.agency,
                OPEN_YEAR,
                parse_answers("4,4,4,4,4"),
                channel="telegram",
                actor="x",
                settings=settings,
            )
        assert caught.value.key == "survey.entry.bad_channel"
