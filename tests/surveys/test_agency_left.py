"""A unit rating an agency that was meanwhile withdrawn or rejected is told so, and its
invitation closes (RULES, questionnaire: "A unit rating an agency that has meanwhile
been withdrawn or rejected is told so, and its invitation closes")."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from surveys.answering import Action, Press, open_survey, press, record_message
from surveys.coverage import Status, coverage, invitation_status, pending_recipients, unit_facts
from surveys.errors import Refused
from surveys.models import Invitation, SurveyProgress
from surveys.respondents import Respondent
from tests.surveys.helpers import OPEN_YEAR, guided_units
from tests.workflow.assessment_builders import ADMIN
from tests.workflow.lifecycle_steps import agency_in
from workflow.core.settings import Settings
from workflow.lifecycle.engine import advance

WITHDRAWN_TEXT = "该咨询服务机构已取消优先推荐资格，本次满意度调查（问卷）已关闭，无需填写。"
REJECTED_TEXT = "该咨询服务机构未列入备案名单，本次满意度调查（问卷）已关闭，无需填写。"


def _start(session: Session, settings: Settings, invitation: Invitation, user: int) -> None:
    open_survey(session, invitation.token, Respondent.telegram(user), settings)
    assert invitation.id is not None
    record_message(session, invitation.id, 1)
    session.commit()


def _answer(
    session: Session, settings: Settings, invitation: Invitation, user: int, n: int
) -> None:
    assert invitation.id is not None
    press(
        session, Press(invitation.id, Action.ANSWER, n, 3), Respondent.telegram(user), settings, 1
    )
    session.commit()


def test_after_a_withdrawal_the_unit_is_told_and_can_no_longer_answer(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        agency = agency_in(session, "filed", settings)
        guided = guided_units(session, count=4, agency=agency)
        done, started, opened, never = guided.invitations
        _start(session, settings, done, 21)
        for number in range(1, 6):
            _answer(session, settings, done, 21, number)
        assert done.id is not None
        press(session, Press(done.id, Action.SUBMIT), Respondent.telegram(21), settings, 1)
        _start(session, settings, started, 22)
        _answer(session, settings, started, 22, 1)
        _start(session, settings, opened, 23)
        assert agency.id is not None
        advance(
            session,
            agency.id,
            "withdraw",
            ADMIN,
            "两名高级职称人员离职",
            ground="staff_change",
            settings=settings,
        )
        session.commit()

        for invitation, user in ((started, 22), (never, 24)):
            with pytest.raises(Refused) as caught:
                open_survey(session, invitation.token, Respondent.telegram(user), settings)
            assert caught.value.key == "survey.agency_withdrawn"
            assert caught.value.message("zh") == WITHDRAWN_TEXT
        assert started.id is not None
        with pytest.raises(Refused) as caught:
            press(
                session,
                Press(started.id, Action.ANSWER, 2, 4),
                Respondent.telegram(22),
                settings,
                1,
            )
        assert caught.value.key == "survey.agency_withdrawn"
        session.rollback()
        row = session.get(SurveyProgress, started.id)
        assert row is not None and row.item2 is None  # nothing taken

        states = {row.unit_id: row.status for row in coverage(session, OPEN_YEAR)}
        assert [states[unit.id or 0] for unit in guided.units] == [
            Status.SUBMITTED,  # answered before the withdrawal: on record
            Status.CLOSED,
            Status.CLOSED,
            Status.CLOSED,
        ]
        assert invitation_status(session, started) == Status.CLOSED
        assert Status.CLOSED.label("zh") == "已关闭"
        assert pending_recipients(session, OPEN_YEAR) == []  # nobody is reminded of it
        assert unit_facts(session, OPEN_YEAR).not_submitted == 0


def test_a_rejected_agency_closes_its_invitations_too(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        agency = agency_in(session, "applied", settings)
        (invitation,) = guided_units(session, count=1, agency=agency).invitations
        _start(session, settings, invitation, 31)
        assert agency.id is not None
        advance(session, agency.id, "reject", ADMIN, "材料不全", settings=settings)
        session.commit()
        assert invitation.id is not None
        with pytest.raises(Refused) as caught:
            press(
                session,
                Press(invitation.id, Action.ANSWER, 1, 4),
                Respondent.telegram(31),
                settings,
                1,
            )
        assert caught.value.key == "survey.agency_rejected"
        assert caught.value.message("zh") == REJECTED_TEXT
        assert caught.value.message("en").startswith("This consulting agency was not filed")
