"""Races between two connections (two processes: the bot and a CLI command, two bots)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.races import at_once
from tests.workflow.lifecycle_steps import agency_in
from workflow.core.db import transaction
from workflow.core.errors import Refused
from workflow.core.settings import load_settings
from workflow.reminders import contacts
from workflow.reminders.models import AgencyContact

ALICE, BOB = 1001, 1002


def test_a_one_time_agency_link_opened_by_two_people_at_once_binds_one(
    any_engine: Engine,
) -> None:
    with transaction(any_engine) as session:
        firm = agency_in(session, "filed", load_settings())
        token = contacts.issue_link_token(session, firm, "admin").token

    def opener(user: int) -> Any:
        def open_link(session: Session, meet: Any) -> Any:
            link = contacts.find_link_token(session, token)
            assert link is not None
            meet()  # both have read the link unused
            return contacts.bind_contact(session, link, user, "联系人")[1]

        return open_link

    results = at_once(any_engine, opener(ALICE), opener(BOB))
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(refused) == 1 and refused[0].key == "contacts.token_used"
    assert results.count(True) == 1
    with Session(any_engine) as session:
        bound = session.exec(select(AgencyContact)).all()
        link = contacts.find_link_token(session, token)
    assert len(bound) == 1 and link is not None and link.used_by == bound[0].telegram_user_id
