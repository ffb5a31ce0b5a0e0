"""Races between two connections (two processes: the bot and a CLI command, two bots)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.races import at_once, meeting
from tests.workflow.lifecycle_steps import ADMIN, agency_in
from tests.workflow.rounds.test_rounds import DAY0, _candidate, _round
from workflow.core.db import transaction
from workflow.core.errors import Refused
from workflow.core.settings import load_settings
from workflow.lifecycle import engine as lifecycle
from workflow.registry.models import Agency
from workflow.reminders import contacts
from workflow.reminders.models import AgencyContact, SubmittedDocument
from workflow.rounds import ranking, service

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


def test_two_filings_with_a_score_change_between_never_exceed_the_quota(
    any_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quota 1: the first is filed while ranked first; meanwhile the second's interview
    score is corrected so it ranks first, and it is filed too. Whichever commits
    second must see the other: counted under the lock that serialises filings."""
    settings = load_settings()
    with Session(any_engine, expire_on_commit=False) as session:
        _round(session, settings, "补录", 1)
        first = _candidate(session, settings, "补录", 80, 80, DAY0, "先排第一机构")
        second = _candidate(session, settings, "补录", 70, 70, DAY0, "后改分机构")
    meet = meeting()
    counted = ranking.quota_place

    def quota_place_then_meet(*args: Any, **kwargs: Any) -> Any:
        place = counted(*args, **kwargs)
        meet()  # both have counted before either files
        return place

    monkeypatch.setattr(ranking, "quota_place", quota_place_then_meet)

    def file_first(session: Session, _meet: Any) -> Any:
        return lifecycle.advance(session, first.id or 0, "file", ADMIN, settings=settings)

    def rescore_and_file_second(session: Session, _meet: Any) -> Any:
        service.record_scores(session, second.id or 0, ADMIN, interview=99, settings=settings)
        return lifecycle.advance(session, second.id or 0, "file", ADMIN, settings=settings)

    results = at_once(any_engine, file_first, rescore_and_file_second, meet=meet)
    refused = [r for r in results if isinstance(r, lifecycle.GuardsUnmet)]
    assert len(refused) == 1 and re.search("名额已满|超出本批次名额", str(refused[0].message()))
    with Session(any_engine) as session:
        filed = session.exec(select(Agency).where(Agency.status == "filed")).all()
    assert len(filed) == 1


def test_one_person_opening_two_agencies_links_at_once_is_bound_to_one(
    any_engine: Engine,
) -> None:
    """Both read "not bound yet"; the second insert meets the first's unique key and
    becomes the clear refusal, not an IntegrityError, and its link stays unused."""
    with transaction(any_engine) as session:
        tokens = [
            contacts.issue_link_token(session, agency_in(session, "filed", load_settings()), "a")
            for _ in range(2)
        ]
        names = [token.token for token in tokens]

    def opener(token: str) -> Any:
        def open_link(session: Session, meet: Any) -> Any:
            link = contacts.find_link_token(session, token)
            assert link is not None
            meet()  # on PostgreSQL both have read that Alice is bound nowhere
            return contacts.bind_contact(session, link, ALICE, "联系人")[1]

        return open_link

    results = at_once(any_engine, opener(names[0]), opener(names[1]))
    refused = [r for r in results if isinstance(r, Refused)]
    assert results.count(True) == 1
    assert len(refused) == 1 and refused[0].key == "contacts.bound_elsewhere"
    with Session(any_engine) as session:
        bound = session.exec(select(AgencyContact)).all()
        links = [contacts.find_link_token(session, name) for name in names]
    assert len(bound) == 1
    assert sorted(link.used_by is None for link in links if link) == [False, True]


def test_two_files_handed_in_at_once_never_exceed_the_file_limit(
    any_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One place left: both count before either records; the agency's lock makes the
    second count again after the first committed."""
    monkeypatch.setattr(contacts, "MAX_FILES_PER_CAMPAIGN", 1)
    with transaction(any_engine) as session:
        agency_id = agency_in(session, "filed", load_settings()).id
    assert agency_id is not None
    counted = contacts.check_may_hand_in
    meet = meeting()

    def count_then_meet(*args: Any, **kwargs: Any) -> Any:
        result = counted(*args, **kwargs)
        meet()
        return result

    monkeypatch.setattr(contacts, "check_may_hand_in", count_then_meet)

    def hand_in(name: str) -> Any:
        def record(session: Session, _meet: Any) -> Any:
            document = SubmittedDocument(
                agency_id=agency_id,
                year=2026,
                kind="report",
                stored_path=f"/srv/uploads/{name}",
                file_unique_id=name,
            )
            return contacts.record_document(session, document).id

        return record

    results = at_once(any_engine, hand_in("first"), hand_in("second"))
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(refused) == 1 and refused[0].key == "contacts.too_many_files"
    with Session(any_engine) as session:
        assert len(session.exec(select(SubmittedDocument)).all()) == 1
