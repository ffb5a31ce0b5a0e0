"""The chat's draft of an activity: its steps, the stale rule, dates as typed in chat."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from tests.workflow.guidance.helpers import TODAY, YEAR, guided
from workflow.core.db import transaction
from workflow.core.errors import DomainError
from workflow.core.settings import load_settings
from workflow.guidance import drafts
from workflow.guidance.models import ActivityDraft, GuidanceActivity


def test_a_date_typed_in_chat() -> None:
    assert drafts.read_day("3月5日", 2026) == date(2026, 3, 5)
    assert drafts.read_day(" 11 月 3 号", 2026) == date(2026, 11, 3)
    assert drafts.read_day("2026-03-05", 2027) == date(2026, 3, 5)
    with pytest.raises(DomainError) as refused:
        drafts.read_day("2月30日", 2026)
    assert refused.value.key == "guidance.bad_field"


def test_a_press_is_current_only_on_the_current_step_and_screen() -> None:
    draft = ActivityDraft(recorder="tg:1", agency_id=1, year=YEAR, step=drafts.KIND, message_id=10)
    assert drafts.is_current(draft, drafts.KIND, 10)
    assert drafts.is_current(draft, drafts.KIND, 11)  # sent before its id was recorded
    assert not drafts.is_current(draft, drafts.KIND, 9)
    assert not drafts.is_current(draft, drafts.UNIT, 10)
    assert not drafts.is_current(None, drafts.KIND, 10)


def test_the_steps_check_the_unit_and_the_date(any_engine: Engine) -> None:
    settings = load_settings()
    with transaction(any_engine) as session:
        w = guided(session, started_on=date(2026, 6, 1))
        other = guided(session, name="别家社区", contact_id=42)
        draft = drafts.start(session, w.contact.key, w.agency_id, YEAR)
        with pytest.raises(DomainError) as refused:
            drafts.choose_unit(session, draft, other.unit_id)
        assert refused.value.key == "guidance.not_guided"
        drafts.choose_unit(session, draft, w.unit_id)
        assert drafts.choose_kind(session, draft, "培训").step == drafts.TOPIC
        assert drafts.choose_topic(session, draft, "风险辨识").step == drafts.DATE
        with pytest.raises(DomainError) as early:
            drafts.choose_date(session, draft, date(2026, 5, 31), settings, TODAY)
        assert early.value.key == "guidance.before_start"
        drafts.choose_date(session, draft, date(2026, 6, 1), settings, TODAY)
        activity = drafts.save(session, draft, "走访培训", w.contact, settings, TODAY)
        assert (activity.kind, activity.topic, activity.held_on) == (
            "training",
            "risk_identification",
            date(2026, 6, 1),
        )
        assert (draft.step, draft.activity_id) == (drafts.FILES, activity.id)
        drafts.clear(session, w.contact.key)
        assert drafts.draft_of(session, w.contact.key) is None


def test_two_presses_at_once_record_the_activity_once(pg_engine: Engine) -> None:
    """Updates are handled concurrently: two 跳过 presses (or a press and a typed line) on
    the description step queue on the draft row; the second finds the step moved on."""
    settings = load_settings()
    with transaction(pg_engine) as session:
        world = guided(session)
        draft = drafts.start(session, world.contact.key, world.agency_id, YEAR)
        drafts.choose_unit(session, draft, world.unit_id)
        drafts.choose_kind(session, draft, "培训")
        drafts.choose_topic(session, draft, "风险辨识")
        drafts.choose_date(session, draft, date(2026, 6, 1), settings, TODAY)
    barrier, outcomes = threading.Barrier(2), []

    def press() -> None:
        barrier.wait()
        with transaction(pg_engine) as session:
            current = drafts.draft_of(session, world.contact.key, for_update=True)
            if current is None or current.step != drafts.DESCRIPTION:
                outcomes.append("stale")
                return
            drafts.save(session, current, "", world.contact, settings, TODAY)
            outcomes.append("saved")

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with transaction(pg_engine, read_only=True) as session:
        assert len(session.exec(select(GuidanceActivity)).all()) == 1
    assert sorted(outcomes) == ["saved", "stale"]


def test_the_shown_message_moves_forward_only_and_a_gone_draft_is_no_error(
    any_engine: Engine,
) -> None:
    """The screen is sent before its id is stored: 完成 may clear the draft in between."""
    with transaction(any_engine) as session:
        world = guided(session)
        drafts.start(session, world.contact.key, world.agency_id, YEAR)
        drafts.set_message(session, world.contact.key, 20)
        drafts.set_message(session, world.contact.key, 10)  # an older screen: ignored
        current = drafts.draft_of(session, world.contact.key)
        assert current is not None and current.message_id == 20
        drafts.clear(session, world.contact.key)
        drafts.set_message(session, world.contact.key, 30)  # nothing to update, no error
        assert drafts.draft_of(session, world.contact.key) is None
