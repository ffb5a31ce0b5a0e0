"""The bot never stalls: database work in worker threads, one chat's presses handled at
once stay correct, a tap costs three statements, and a database that is locked or
gone gets the user a clear message rather than a traceback."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.blocking import DatabaseUnavailable
from bot.demo.offline import OFFLINE_TOKEN, Call, RecordingRequest
from bot.telegram.app import build_application
from bot.telegram.jobs import run_cycle
from surveys.models import Invitation, Submission, SurveyProgress
from tests.chat import LoopGuard, OfflineChat
from tests.surveys.helpers import Guided, guided_units
from tests.workflow.lifecycle_steps import make_agency, prepare
from workflow.core.db import bot_engine, make_engine, transaction
from workflow.core.settings import Settings, load_settings
from workflow.lifecycle.models import PendingAdvance
from workflow.registry.models import Agency
from workflow.reminders import outbox
from workflow.reminders.plan import AGENCY_REPORT, Reminder

STAFF = 9001
ADMIN_ID = 1001
UNAVAILABLE = "暂时无法访问数据库，请稍后再试。您这次的操作没有保存。"
STALE = "这个按钮已过期，已为您显示当前步骤。"


def _settings(engine: Engine, **extra: Any) -> Settings:
    url = engine.url.render_as_string(hide_password=False)
    return load_settings(database_url=url, admin_ids=[ADMIN_ID], **extra)


def _guided(engine: Engine) -> Guided:
    with Session(engine, expire_on_commit=False) as session:
        return guided_units(session, count=1)


def _progress(engine: Engine, invitation: Invitation) -> SurveyProgress:
    with Session(engine) as session:
        row = session.get(SurveyProgress, invitation.id)
        assert row is not None
        return row


def _answers(said: list[Call]) -> list[str | None]:
    return [c.params.get("text") for c in said if c.method == "answerCallbackQuery"]


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    """Every statement and commit the engine runs meanwhile, in any thread."""
    seen: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen.append(sql.split()[0].upper())

    def commit(_conn: Any) -> None:
        seen.append("COMMIT")

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)


# --- one chat's presses at once ---------------------------------------------------------------


async def test_one_chats_presses_handled_at_once_apply_exactly_one(any_engine: Engine) -> None:
    guided = _guided(any_engine)
    invitation = guided.invitations[0]
    async with OfflineChat(_settings(any_engine), any_engine) as chat:
        await chat.send(STAFF, f"/start {invitation.token}")
        shown = chat.keyboard_message(STAFF).message_id
        presses = [f"sv:{invitation.id}:a:1:{points}" for points in (0, 1, 2, 3, 4)] * 2
        await asyncio.gather(*(chat.tap(STAFF, data, shown) for data in presses))
    answers = _answers(chat.calls("answerCallbackQuery"))  # the taps' slices overlap
    assert sorted(answers, key=str) == [None] + [STALE] * 9  # one applied, nine stale
    row = _progress(any_engine, invitation)
    assert row.position == 2 and row.item1 in range(5) and row.item2 is None


async def test_presses_that_overtake_each_other_never_skip_a_question(any_engine: Engine) -> None:
    guided = _guided(any_engine)
    invitation = guided.invitations[0]
    async with OfflineChat(_settings(any_engine), any_engine) as chat:
        await chat.send(STAFF, f"/start {invitation.token}")
        shown = chat.keyboard_message(STAFF).message_id
        # a fast thumb: all five answers tapped on the message being edited in place
        presses = [f"sv:{invitation.id}:a:{number}:3" for number in (5, 4, 3, 2, 1)]
        await asyncio.gather(*(chat.tap(STAFF, data, shown) for data in presses))
    row = _progress(any_engine, invitation)
    answered = [row.item1, row.item2, row.item3, row.item4, row.item5]
    given = [value for value in answered if value is not None]
    assert answered[: len(given)] == [3] * len(given)  # answers only ever in order
    assert row.position == len(given) + 1


# --- statements per tap -----------------------------------------------------------------------


async def test_an_answer_tap_is_one_read_one_write_and_the_commit(any_engine: Engine) -> None:
    guided = _guided(any_engine)
    invitation = guided.invitations[0]
    # SQLite: workflow.core.db begins each transaction itself (BEGIN IMMEDIATE for writers)
    begin = ["BEGIN"] if any_engine.dialect.name == "sqlite" else []
    async with OfflineChat(_settings(any_engine), any_engine) as chat:
        await chat.send(STAFF, f"/start {invitation.token}")
        for number in range(1, 6):
            with counted(any_engine) as seen:
                await chat.tap_label(STAFF, "3 分")
            assert seen == [*begin, "SELECT", "UPDATE", "COMMIT"], number
        with counted(any_engine) as seen:
            await chat.tap_label(STAFF, "提交")
        assert seen == [*begin, "SELECT", "UPDATE", "INSERT", "COMMIT"]  # the submission itself
        with counted(any_engine) as seen:  # a stale press: the read, nothing to write
            await chat.tap(STAFF, f"sv:{invitation.id}:a:1:4")
        # then the current step shown anew (its record)
        assert seen[: len(begin) + 2] == [*begin, "SELECT", "COMMIT"]
        assert "INSERT" not in seen
    with Session(any_engine) as session:
        assert len(session.exec(select(Submission)).all()) == 1


# --- nothing on the event loop ----------------------------------------------------------------


async def test_the_reminder_cycle_runs_no_sql_on_the_event_loop(engine: Engine) -> None:
    settings = _settings(engine)
    now = datetime(2026, 12, 12, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    due = [
        Reminder(
            chat_id=600 + n,
            kind=AGENCY_REPORT,
            key=f"k{n}",
            due_at=now - timedelta(minutes=5),
            params={"agency": "甲公司", "year": 2026, "due": "2026-12-15", "missing": ["report"]},
        )
        for n in range(5)
    ]
    with transaction(engine) as session:
        outbox.enqueue(session, due, now)
    request = RecordingRequest()
    app = build_application(
        settings, engine, token=OFFLINE_TOKEN, request=request, rate_limiter=False
    )
    guard = LoopGuard(engine)
    try:
        async with app:
            with guard.armed():
                report = await run_cycle(app.bot, engine, settings, now)
    finally:
        guard.remove()
    # the cycle read the facts, skipped the rows no longer due, enqueued and sent the digest
    assert (report.skipped, report.enqueued, report.send.sent) == (5, 1, 1)
    assert guard.on_loop == []


async def test_the_guard_catches_sql_on_the_loop(engine: Engine) -> None:
    guard = LoopGuard(engine)
    try:
        with (
            guard.armed(),
            pytest.raises(AssertionError, match="SQL on the event loop"),
            Session(engine) as session,
        ):
            session.exec(select(Agency)).all()
    finally:
        guard.remove()
    assert guard.on_loop and guard.on_loop[0].startswith(("BEGIN", "SELECT"))  # BEGIN: SQLite


# --- the database locked or gone --------------------------------------------------------------


def _expect_unavailable(chat: OfflineChat) -> None:
    assert chat.errors and all(isinstance(e, DatabaseUnavailable) for e in chat.errors)
    chat.errors.clear()


async def test_an_unreachable_database_gets_a_clear_message_everywhere(tmp_path: Path) -> None:
    gone = make_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    settings = load_settings(database_url=str(gone.url), admin_ids=[ADMIN_ID])
    async with OfflineChat(settings, gone) as chat:
        for user, what in ((STAFF, "/start AbCdEfGh12345678"), (ADMIN_ID, "/agencies")):
            await chat.send(user, what)
            assert chat.last_text(user) == UNAVAILABLE
            _expect_unavailable(chat)
        said = await chat.tap(STAFF, "sv:1:a:1:4", message_id=1)
        assert [c.method for c in said] == ["answerCallbackQuery", "sendMessage"]
        assert chat.last_text(STAFF) == UNAVAILABLE
        _expect_unavailable(chat)
        await chat.send(STAFF, "你好")  # the catch-all looks for a survey: same message
        assert chat.last_text(STAFF) == UNAVAILABLE
        _expect_unavailable(chat)
    gone.dispose()


@pytest.mark.postgres
async def test_a_lock_held_elsewhere_times_out_with_a_clear_message_and_no_half_write(
    pg_engine: Engine,
) -> None:
    """A CLI command holding the audit head (e.g. a long `round close`) no longer freezes
    the bot: the ✅ waits `db_lock_timeout_ms`, says "try again", and works once it is free."""
    settings = _settings(pg_engine, db_lock_timeout_ms=300)
    engine = bot_engine(settings)
    with Session(pg_engine, expire_on_commit=False) as session:
        agency = make_agency(session)
        assert agency.id is not None
        prepare(session, agency.id, "review", settings)
    async with OfflineChat(settings, engine) as chat:
        await chat.send(ADMIN_ID, f"/advance {agency.id} review")
        confirm = chat.button(ADMIN_ID, "确认")
        with pg_engine.connect() as holder:
            holder.execute(text("SELECT * FROM audithead FOR UPDATE"))
            holder.execute(text("UPDATE audithead SET seq = seq"))  # the row exists and is held
            started = asyncio.get_running_loop().time()
            await chat.tap(ADMIN_ID, confirm)
            waited = asyncio.get_running_loop().time() - started
            assert chat.last_text(ADMIN_ID) == UNAVAILABLE
            _expect_unavailable(chat)
            holder.rollback()
        assert waited < 5  # bounded by the lock timeout, not by the holder
        with Session(pg_engine) as session:
            pending = session.exec(select(PendingAdvance)).one()
            assert pending.decision is None  # the claim rolled back with the advance
            assert session.get(Agency, agency.id).status == "applied"  # type: ignore[union-attr]
        await chat.tap(ADMIN_ID, confirm, message_id=1)  # free again: the same ✅ works
        assert "已完成" in chat.last_text(ADMIN_ID)
    engine.dispose()


def test_postgres_sessions_get_the_lock_and_statement_time_limits(pg_engine: Engine) -> None:
    settings = _settings(pg_engine, db_lock_timeout_ms=1234, db_statement_timeout_ms=5678)
    engine = bot_engine(settings)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW lock_timeout")).scalar() == "1234ms"
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "5678ms"
        assert engine.pool.size() == settings.bot_concurrency  # type: ignore[attr-defined]
    finally:
        engine.dispose()


async def test_worker_threads_are_named_sized_from_the_settings_and_end_with_the_bot(
    engine: Engine,
) -> None:
    settings = _settings(engine, bot_concurrency=3)
    app = build_application(settings, engine, token=OFFLINE_TOKEN, request=RecordingRequest())
    assert app.update_processor.max_concurrent_updates == 3
    async with app:
        executor = app.bot_data["db_executor"]
        names = set(executor.map(lambda _: threading.current_thread().name, range(20)))
        assert executor._max_workers == 3 and all(n.startswith("safecomm-db") for n in names)
    assert "db_executor" not in app.bot_data
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(print)


async def test_a_writer_held_up_elsewhere_does_not_queue_every_thread_behind_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CLI command holding SQLite's write lock: our writers give up in bounded time
    (one waits the busy timeout, the others the writer lock's wait) and a read still runs."""
    import bot.blocking as blocking

    monkeypatch.setattr(blocking, "WRITER_WAIT", 0.2)
    executor = blocking.new_executor(2)
    holder = engine.raw_connection()
    holder.execute("BEGIN IMMEDIATE")  # type: ignore[attr-defined]
    try:

        def write(session: Session) -> None:
            session.connection().execute(text("UPDATE audithead SET seq = seq"))

        writes = [
            asyncio.ensure_future(blocking.run_unit(engine, write, executor=executor))
            for _ in range(3)
        ]
        read = blocking.run_unit(
            engine,
            lambda session: session.exec(select(Agency)).all(),
            read_only=True,
            executor=executor,
        )
        assert await asyncio.wait_for(read, timeout=3) == []
        outcomes = await asyncio.gather(*writes, return_exceptions=True)
        assert all(isinstance(o, DatabaseUnavailable) for o in outcomes)
    finally:
        holder.rollback()
        holder.close()
        executor.shutdown()
