"""The reminder cycle over the real database, and its schedule on the JobQueue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import bot.telegram.jobs
from bot.demo.offline import OFFLINE_TOKEN, RecordingRequest
from bot.telegram.app import BotApplication, build_application
from bot.telegram.jobs import STARTUP_JOB, TICK_JOB, run_cycle, schedule_reminders
from surveys.coverage import unit_facts
from surveys.models import Invitation, Submission
from tests.workflow.lifecycle_steps import agency_in
from workflow.access.models import ReceivedUpdate
from workflow.community.models import CreationUnit, Guidance
from workflow.core.db import transaction
from workflow.core.settings import Settings, load_settings
from workflow.registry.models import Agency
from workflow.reminders import contacts
from workflow.reminders.cycle import enqueue_due
from workflow.reminders.models import Outbox, SubmittedDocument

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALICE, STAFF, ADMIN = 501, 601, 900


def at(month: int, day: int, hour: int = 9, minute: int = 5) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def policy(tmp_path: object) -> Settings:
    return load_settings(admin_ids=[ADMIN])


@pytest.fixture
async def offline(
    any_engine: Engine, policy: Settings
) -> AsyncIterator[tuple[BotApplication, RecordingRequest]]:
    request = RecordingRequest()
    app = build_application(
        policy, any_engine, token=OFFLINE_TOKEN, request=request, rate_limiter=False
    )
    await app.initialize()
    yield app, request
    await app.shutdown()


def filed_agency_with_contact(engine: Engine) -> Agency:
    with transaction(engine) as session:
        agency = agency_in(session, "filed", load_settings(), name="甲咨询公司")
        contacts.bind_contact(
            session, contacts.issue_link_token(session, agency, "admin"), ALICE, "李"
        )
    return agency


def hand_in(engine: Engine, agency: Agency, *kinds: str) -> None:
    with transaction(engine) as session:
        for kind in kinds:
            contacts.record_document(
                session,
                SubmittedDocument(
                    agency_id=agency.id or 0,
                    year=2026,
                    kind=kind,
                    stored_path=f"uploads/2026/{agency.id}/{kind}.pdf",
                    file_unique_id=f"u-{kind}",
                    telegram_user_id=ALICE,
                ),
            )


def texts_to(request: RecordingRequest, chat_id: int) -> list[str]:
    return [str(call.params["text"]) for call in request.sent(chat_id)]


def keys(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {row.key: row.state for row in session.exec(select(Outbox))}


async def test_a_cycle_sends_what_is_due_and_a_second_cycle_sends_nothing(
    any_engine: Engine, policy: Settings, offline: tuple[BotApplication, RecordingRequest]
) -> None:
    app, request = offline
    agency = filed_agency_with_contact(any_engine)

    first = await run_cycle(app.bot, any_engine, policy, at(12, 12))
    second = await run_cycle(app.bot, any_engine, policy, at(12, 12, 9, 10))

    assert (first.enqueued, first.send.sent) == (2, 2)
    assert (second.enqueued, second.send.sent) == (0, 0)
    assert len(texts_to(request, ALICE)) == 1
    assert (
        "甲咨询公司" in texts_to(request, ALICE)[0] and "还有 3 天" in texts_to(request, ALICE)[0]
    )
    assert "每日汇总" in texts_to(request, ADMIN)[0]
    assert keys(any_engine) == {
        f"agency:{agency.id}:{ALICE}:2026:T-3": "sent",
        f"digest:{ADMIN}:2026-12-12": "sent",
    }


async def test_after_downtime_only_the_latest_missed_reminder_is_sent(
    any_engine: Engine, policy: Settings, offline: tuple[BotApplication, RecordingRequest]
) -> None:
    app, request = offline
    agency = filed_agency_with_contact(any_engine)

    await run_cycle(app.bot, any_engine, policy, at(12, 14, 15, 0))

    assert len(texts_to(request, ALICE)) == 1
    assert f"agency:{agency.id}:{ALICE}:2026:T-1" in keys(any_engine)


async def test_a_reminder_enqueued_before_the_report_came_in_is_skipped(
    any_engine: Engine, policy: Settings, offline: tuple[BotApplication, RecordingRequest]
) -> None:
    app, request = offline
    agency = filed_agency_with_contact(any_engine)
    with transaction(any_engine) as session:
        assert enqueue_due(session, at(12, 12), policy, unit_facts) == (2, 0)
    hand_in(any_engine, agency, "report", "evidence")

    cycle = await run_cycle(app.bot, any_engine, policy, at(12, 12, 9, 10))

    assert cycle.skipped == 1
    assert texts_to(request, ALICE) == []
    assert keys(any_engine)[f"agency:{agency.id}:{ALICE}:2026:T-3"] == "skipped"


async def test_units_bound_to_an_unsubmitted_invitation_are_reminded(
    any_engine: Engine, policy: Settings, offline: tuple[BotApplication, RecordingRequest]
) -> None:
    app, request = offline
    agency = filed_agency_with_contact(any_engine)
    hand_in(any_engine, agency, "report", "evidence")
    with transaction(any_engine) as session:
        units = [
            CreationUnit(name=f"社区{i}", district="朝阳区", safe_community=True) for i in range(3)
        ]
        session.add_all(units)
        session.flush()
        invitations = []
        for index, unit in enumerate(units):
            session.add(Guidance(unit_id=unit.id or 0, agency_id=agency.id or 0, year=2026))
            invitations.append(
                Invitation(
                    unit_id=unit.id or 0,
                    agency_id=agency.id or 0,
                    year=2026,
                    token=f"token{index}",
                    bound_user_id=STAFF + index if index < 2 else None,  # the third never opened it
                )
            )
        session.add_all(invitations)
        session.flush()
        session.add(
            Submission(
                invitation_id=invitations[1].id or 0,
                item1=4,
                item2=4,
                item3=3,
                item4=3,
                item5=4,
                receipt="R1",
                user_id=STAFF + 1,
            )
        )

    await run_cycle(app.bot, any_engine, policy, at(12, 15))

    reminded = texts_to(request, STAFF)
    assert len(reminded) == 1 and "社区0" in reminded[0] and "甲咨询公司" in reminded[0]
    assert texts_to(request, STAFF + 1) == []
    digest = texts_to(request, ADMIN)[0]
    assert "尚未提交问卷的创建单位：2 个" in digest


async def test_schedule_runs_at_start_and_every_tick_with_stable_ids(
    any_engine: Engine,
    policy: Settings,
    offline: tuple[BotApplication, RecordingRequest],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, request = offline
    filed_agency_with_contact(any_engine)
    monkeypatch.setattr(bot.telegram.jobs, "utcnow", lambda: at(12, 8))
    assert app.job_queue is not None
    await app.job_queue.start()
    try:
        schedule_reminders(app)
        startup, tick = schedule_reminders(app)  # scheduling again replaces, never duplicates
        jobs = app.job_queue.scheduler.get_jobs()
        assert sorted(job.id for job in jobs) == [STARTUP_JOB, TICK_JOB]
        assert tick.job.trigger.interval == timedelta(seconds=policy.reminder_tick_seconds)
        assert str(tick.job.trigger.timezone) == "Asia/Shanghai"

        await startup.run(app)
        await tick.run(app)
    finally:
        await app.job_queue.stop(wait=False)

    assert len(texts_to(request, ALICE)) == 1  # T-7, once
    assert len(texts_to(request, ADMIN)) == 1


async def test_the_cycle_forgets_webhook_updates_telegram_no_longer_redelivers(
    any_engine: Engine,
    offline: tuple[BotApplication, RecordingRequest],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = at(12, 8)
    monkeypatch.setattr(bot.telegram.jobs, "utcnow", lambda: now)
    with transaction(any_engine) as session:
        session.add(ReceivedUpdate(update_id=1, state="done", taken_at=now - timedelta(days=3)))
        session.add(ReceivedUpdate(update_id=2, state="done", taken_at=now - timedelta(hours=1)))
    app, _ = offline
    assert app.job_queue is not None
    await app.job_queue.start()
    try:
        startup, _tick = schedule_reminders(app)
        await startup.run(app)
    finally:
        await app.job_queue.stop(wait=False)
    with Session(any_engine) as session:
        assert [row.update_id for row in session.exec(select(ReceivedUpdate))] == [2]
