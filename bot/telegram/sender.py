"""Sends the due rows of the reminder outbox through the bot, each at most once.

A pass reserves the due rows in batches of `BATCH` (`outbox.reserve`, `FOR UPDATE
SKIP LOCKED`); for every row it waits for the chat's pacing slot (1 message per
second per chat) and the pass's `SendPacer` (`RATE` messages per second, evenly
spaced, so Telegram's 30 per second holds in every 1-second window even with
network jitter), claims the row and commits, sends, then marks it. Only the
leader sends (`bot.telegram.leading`), and it checks that it still leads before
every batch, so one process at a time sends and the rate is global; rows it had
reserved and not sent when it stops are pending again. What Telegram answers decides the row's
next state (see `workflow.reminders.outbox`): 429 waits `retry_after` and tries again,
403 marks the recipient undeliverable for good, a time-out leaves the row
`uncertain` rather than risk a second copy. Nothing is sent in the quiet period.

`send_due(bot, engine, now, settings)` is what the scheduler, the CLI
(`safecomm remind send`) and the benchmark call. Its database work runs in
worker threads (`bot.telegram.blocking.run_unit`), so a burst of reminders
never holds up the bot's answers.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import warnings
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import Bot
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.blocking import run_unit
from bot.texts import LocalCatalogue
from workflow.core.settings import Settings
from workflow.reminders import outbox
from workflow.reminders.models import Outbox
from workflow.reminders.plan import (
    ADMIN_DIGEST,
    AGENCY_REPORT,
    GUIDANCE_SHORTFALL,
    UNIT_QUESTIONNAIRE,
    days_left,
    in_quiet_period,
)
from workflow.reminders.shortfalls import shortfall_text

logger = logging.getLogger(__name__)

# Telegram: at most one message per second to the same chat.
CHAT_INTERVAL = 1.0
RATE = 25
"""Reminders per second, evenly spaced: below Telegram's 30 so that arrival jitter of up
to 150 ms never puts 31 into one second, and the leader's replies have room."""
BATCH = 30
"""Rows reserved at a time: about a second of sending, so few wait on a stopped sender."""
# Sends in flight at once; AIORateLimiter keeps the overall rate at 30/s.
CONCURRENCY = 8
# Seconds to wait before retrying after a server error: 2, 4, 8, …
BACKOFF_BASE = 2.0

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


@dataclass
class SendReport:
    """What one pass of the sender did."""

    sent: int = 0
    retried: int = 0
    undeliverable: int = 0
    failed: int = 0
    uncertain: int = 0
    quiet: bool = False

    def summary(self) -> str:
        return (
            f"sent={self.sent} retried={self.retried} undeliverable={self.undeliverable}"
            f" failed={self.failed} uncertain={self.uncertain} quiet={self.quiet}"
        )


class ChatPacer:
    """At most one message per `interval` seconds to each chat; one chat's sends in order."""

    def __init__(self, interval: float = CHAT_INTERVAL, sleep: Sleep = asyncio.sleep) -> None:
        self._interval = interval
        self._sleep = sleep
        self._locks: dict[int, asyncio.Lock] = {}
        self._free_at: dict[int, float] = {}

    @asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[None]:
        async with self._locks.setdefault(chat_id, asyncio.Lock()):
            wait = self._free_at.get(chat_id, 0.0) - time.monotonic()
            if wait > 0:
                await self._sleep(wait)
            try:
                yield
            finally:
                self._free_at[chat_id] = time.monotonic() + self._interval


class SendPacer:
    """At most one send start every `1 / rate` seconds, in order of arrival."""

    def __init__(self, rate: float = RATE, sleep: Sleep = asyncio.sleep) -> None:
        self._spacing = 1.0 / rate
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._next = 0.0

    async def slot(self) -> None:
        async with self._lock:
            wait = self._next - time.monotonic()
            if wait > 0:
                await self._sleep(wait)
            self._next = max(self._next, time.monotonic()) + self._spacing


def render(kind: str, params: dict[str, Any], now: datetime, settings: Settings) -> str:
    """The message text of a reminder, in the configured language, as of `now`."""
    texts = LocalCatalogue(settings.language)
    separator = texts.text("reminder.separator")
    if kind == ADMIN_DIGEST:
        return render_digest(params, texts)
    if kind == GUIDANCE_SHORTFALL:
        return shortfall_text(params, now, settings)
    due = datetime.fromisoformat(params["due"]).date()
    left = days_left(due, now, settings)
    when = (
        texts.text("reminder.when_today")
        if left <= 0
        else texts.text("reminder.when_days", days=left)
    )
    if kind == AGENCY_REPORT:
        missing = separator.join(texts.text(f"agency.kind.{m}") for m in params["missing"])
        return texts.text(
            "reminder.agency_report",
            agency=params["agency"],
            year=params["year"],
            due=params["due"],
            when=when,
            missing=missing,
        )
    if kind == UNIT_QUESTIONNAIRE:
        return texts.text(
            "reminder.unit_questionnaire",
            unit=params["unit"],
            agency=params["agency"],
            year=params["year"],
            due=params["due"],
            when=when,
        )
    raise ValueError(f"unknown reminder kind {kind!r}")


def render_digest(params: dict[str, Any], texts: LocalCatalogue) -> str:
    """The admins' daily digest: reports still missing, questionnaires, delivery problems."""
    lines = [
        texts.text("reminder.digest_head", date=params["date"], year=params["year"]),
        texts.text(
            "reminder.digest_reports",
            done=params["agencies_total"] - params["agencies_incomplete"],
            total=params["agencies_total"],
            due=params["report_due"],
        ),
    ]
    if params["agencies_incomplete"]:
        names = texts.text("reminder.separator").join(params["incomplete_names"])
        if params["agencies_incomplete"] > len(params["incomplete_names"]):
            names = texts.text(
                "reminder.digest_more", names=names, count=params["agencies_incomplete"]
            )
        key = (
            "reminder.digest_overdue" if params["report_overdue"] else "reminder.digest_incomplete"
        )
        lines.append(texts.text(key, names=names))
    units = params["units_not_submitted"]
    if units is None:
        lines.append(texts.text("reminder.digest_units_unknown"))
    else:
        key = (
            "reminder.digest_units_closed"
            if params["questionnaire_closed"]
            else "reminder.digest_units"
        )
        lines.append(texts.text(key, count=units, closes=params["questionnaire_closes"]))
    lines.append(
        texts.text(
            "reminder.digest_delivery",
            undeliverable=params["undeliverable"],
            uncertain=params["uncertain"],
        )
    )
    return "\n".join(lines)


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds (PTB 22 returns int or timedelta depending on PTB_TIMEDELTA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def send_due(
    bot: Bot,
    engine: Engine,
    now: datetime,
    settings: Settings,
    *,
    concurrency: int = CONCURRENCY,
    sleep: Sleep = asyncio.sleep,
    executor: Executor | None = None,
    leading: Callable[[], Awaitable[bool]] | None = None,
) -> SendReport:
    """Send every outbox row due at `now` (outside the quiet period); report what happened.

    `leading` (the leader's check) is asked before every batch: a process that no
    longer leads stops, and hands back what it reserved."""
    report = SendReport()
    started = time.monotonic()
    sender = uuid.uuid4().hex

    def clock() -> datetime:
        """`now`, advancing in real time while this pass runs."""
        return now + timedelta(seconds=time.monotonic() - started)

    def in_thread(work: Callable[[Session], T]) -> Awaitable[T]:
        return run_unit(engine, work, executor=executor)

    flagged = await in_thread(lambda session: outbox.flag_uncertain(session, now))
    if flagged:
        logger.warning("%d reminders were claimed but never marked: now uncertain", flagged)
    if in_quiet_period(now, settings):
        report.quiet = True
        return report
    pacer = ChatPacer(sleep=sleep)
    spacing = SendPacer()

    async def deliver(row: Outbox) -> None:
        row_id, attempts = int(row.id or 0), row.attempts
        for _ in range(outbox.MAX_ATTEMPTS):
            async with pacer.slot(row.chat_id):
                await spacing.slot()  # before the claim: a stop while waiting leaves it reserved
                claim = partial(outbox.claim, row_id=row_id, now=clock(), sender=sender)
                if not await in_thread(claim):
                    return  # no longer this pass's row
                attempts += 1
                wait = await attempt(row_id, row.chat_id, row.kind, row.params, attempts)
            if wait is None:
                return
            report.retried += 1
            await sleep(wait)

    async def attempt(
        row_id: int, chat_id: int, kind: str, params: dict[str, Any], attempts: int
    ) -> float | None:
        """One claimed send; the seconds to wait before trying again, or None when finished."""
        try:
            await bot.send_message(chat_id, render(kind, params, clock(), settings))
        except RetryAfter as error:
            await finish(outbox.release, row_id, error)
            return retry_seconds(error)
        except Forbidden as error:
            await finish(outbox.mark_undeliverable, row_id, error)
            report.undeliverable += 1
        except TimedOut as error:
            await finish(outbox.mark_uncertain, row_id, error)
            report.uncertain += 1
        except BadRequest as error:
            await finish(outbox.mark_failed, row_id, error)
            report.failed += 1
        except NetworkError as error:
            if attempts >= outbox.MAX_ATTEMPTS:
                await finish(outbox.mark_failed, row_id, error)
                report.failed += 1
                return None
            await finish(outbox.release, row_id, error)
            return BACKOFF_BASE**attempts
        except (TelegramError, KeyError, ValueError) as error:
            await finish(outbox.mark_failed, row_id, error)
            report.failed += 1
        else:
            at = clock()
            await in_thread(lambda session: outbox.mark_sent(session, row_id, at))
            report.sent += 1
        return None

    async def finish(
        mark: Callable[[Session, int, str], None], row_id: int, error: Exception
    ) -> None:
        """Record Telegram's refusal on the claimed row (`mark` decides its next state)."""
        logger.info("reminder %s: %s", row_id, type(error).__name__)
        detail = f"{type(error).__name__}: {error}"
        await in_thread(lambda session: mark(session, row_id, detail))

    async def worker(rows: deque[Outbox]) -> None:
        while rows:
            await deliver(rows.popleft())

    try:
        while leading is None or await leading():
            batch = await in_thread(lambda session: outbox.reserve(session, clock(), BATCH, sender))
            if not batch:
                break
            rows = deque(batch)
            await asyncio.gather(*(worker(rows) for _ in range(max(1, concurrency))))
    finally:
        await in_thread(lambda session: outbox.unreserve(session, sender))
    return report
