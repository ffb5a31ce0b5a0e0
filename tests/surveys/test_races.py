"""Two applications (the bot and the web pages, two bots) handling one invitation at
once, each on its own connection: what decides is written once (issue 14, item 9)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from surveys.answering import Action, Opened, Press, Pressed, open_survey, press
from surveys.errors import Refused
from surveys.models import REVIEW, Invitation, Submission
from surveys.respondents import Respondent
from tests.races import at_once
from tests.surveys.helpers import guided_units
from tests.surveys.test_answering import STAFF, answer_all, opened, progress
from workflow.core.settings import Settings

OTHER = 502


def test_two_people_opening_one_invitation_at_once_one_is_bound(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, 1).invitations[0]

    def opener(user: int) -> Any:
        def open_it(session: Session, meet: Any) -> Any:
            session.exec(select(Invitation).where(Invitation.id == invitation.id)).one()
            meet()  # both have seen it unbound
            return open_survey(session, invitation.token, Respondent.telegram(user), settings)

        return open_it

    results = at_once(any_engine, opener(STAFF), opener(OTHER))
    assert [type(r) for r in results].count(Opened) == 1
    [refused] = [r for r in results if isinstance(r, Refused)]
    assert refused.key == "survey.taken"
    with Session(any_engine) as session:
        row = session.get(Invitation, invitation.id)
        assert row is not None and row.bound_user_id in (STAFF, OTHER)


def test_the_same_submit_handled_twice_at_once_is_one_submission(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, 1).invitations[0]
        opened(session, settings, invitation)
        answer_all(session, settings, invitation, [4, 4, 3, 4, 4])
        assert progress(session, invitation).position == REVIEW
    assert invitation.id is not None
    submit = Press(invitation.id, Action.SUBMIT, None, None)

    def submit_it(session: Session, meet: Any) -> Any:
        session.exec(select(Invitation).where(Invitation.id == invitation.id)).one()
        meet()  # both have seen the survey at the review screen
        return press(session, submit, Respondent.telegram(STAFF), settings, 77)

    results = at_once(any_engine, submit_it, submit_it)
    pressed = [r for r in results if isinstance(r, Pressed)]
    assert len(pressed) == 2  # the second press is stale: not an error for the user
    assert [bool(p.receipt) for p in pressed].count(True) == 1
    with Session(any_engine) as session:
        assert len(session.exec(select(Submission)).all()) == 1
