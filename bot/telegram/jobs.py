"""The reminder cycle and its alarm clock (PTB's JobQueue, on APScheduler 3).

The scheduler holds no reminder: one repeating job with a stable id runs the
cycle at start-up and then every `reminder_tick_seconds`. A cycle reads the
facts from the database, asks the pure plan (`workflow.reminders.plan`, through `workflow.reminders.cycle`) what is due
now, enqueues it in the outbox (idempotent by key), skips pending rows that are
no longer relevant, and sends what is due. A reminder that fell due while the
bot was down is therefore sent at the first cycle after start, if still relevant.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from telegram import Bot
from telegram.ext import Application, CallbackContext, ContextTypes, Job

from bot.blocking import run_unit
from bot.telegram.context import EXECUTOR, LEADERSHIP, SETTINGS, engine_of, settings_of
from bot.telegram.sender import SendReport, send_due
from surveys.coverage import unit_facts
from workflow.access import updates
from workflow.core.clock import utcnow
from workflow.core.leader import Leadership
from workflow.core.settings import Settings
from workflow.reminders.cycle import enqueue_due

logger = logging.getLogger(__name__)

STARTUP_JOB = "reminders-startup"
TICK_JOB = "reminders-tick"


@dataclass
class CycleReport:
    """One cycle: reminders enqueued, pending rows skipped as stale, and the send report."""

    enqueued: int = 0
    skipped: int = 0
    send: SendReport = field(default_factory=SendReport)

    def summary(self) -> str:
        return f"enqueued={self.enqueued} skipped={self.skipped} {self.send.summary()}"


# --- the cycle and its schedule -----------------------------------------------------------


async def run_cycle(
    bot: Bot,
    engine: Engine,
    settings: Settings,
    now: datetime | None = None,
    *,
    executor: Executor | None = None,
    leading: Callable[[], Awaitable[bool]] | None = None,
) -> CycleReport:
    """Enqueue the due reminders (one unit of work, in a worker thread), then send the due
    outbox rows (while `leading` says this process leads)."""
    moment = now or utcnow()
    enqueued, skipped = await run_unit(
        engine,
        lambda session: enqueue_due(session, moment, settings, unit_facts),
        executor=executor,
    )
    sent = await send_due(bot, engine, moment, settings, executor=executor, leading=leading)
    return CycleReport(enqueued, skipped, sent)


async def remind(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The job: one reminder cycle, in the application's worker threads, sending only
    while this process leads; then the leader forgets webhook update ids too old for
    Telegram to deliver again (`workflow.access.updates.prune`)."""
    engine, executor = engine_of(context), context.bot_data[EXECUTOR]
    report = await run_cycle(
        context.bot,
        engine,
        settings_of(context),
        executor=executor,
        leading=still_leading(context),
    )
    logger.info("reminder cycle: %s", report.summary())
    pruned = await run_unit(
        engine, lambda session: updates.prune(session, utcnow()), executor=executor
    )
    if pruned:
        logger.info("forgot %d webhook update ids older than %s", pruned, updates.KEEP)


def still_leading(context: CallbackContext[Any, Any, Any, Any]) -> Callable[[], Awaitable[bool]]:
    """The sender's check before each batch: True while this process leads (always, in a
    process that does not compete for the lead, like the tests' and the demo's)."""
    leadership: Leadership | None = context.bot_data.get(LEADERSHIP)

    async def check() -> bool:
        return leadership is None or await asyncio.to_thread(leadership.check)

    return check


def schedule_reminders(app: Application[Any, Any, Any, Any, Any, Any]) -> tuple[Job[Any], Job[Any]]:
    """Run the reminder cycle once at start-up and then every `reminder_tick_seconds`.

    Two jobs with stable ids, so scheduling again replaces them; a cycle still
    running when the next tick comes is not started twice (`max_instances=1`),
    and a start-up run that the scheduler got to late still runs.
    """
    if app.job_queue is None:
        raise RuntimeError("the job queue is missing: install python-telegram-bot[job-queue]")
    settings: Settings = app.bot_data[SETTINGS]
    common = {"replace_existing": True, "max_instances": 1, "misfire_grace_time": None}
    startup = app.job_queue.run_once(
        remind,
        when=datetime.now(settings.zone),
        name=STARTUP_JOB,
        job_kwargs={"id": STARTUP_JOB, **common},
    )
    tick = app.job_queue.run_repeating(
        remind,
        interval=settings.reminder_tick_seconds,
        first=settings.reminder_tick_seconds,
        name=TICK_JOB,
        job_kwargs={"id": TICK_JOB, "coalesce": True, "timezone": settings.zone, **common},
    )
    return startup, tick


def unschedule_reminders(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Remove both reminder jobs (this process no longer leads); a cycle already running
    stops at its next batch, when the sender finds it no longer leads."""
    if app.job_queue is None:
        return
    for name in (STARTUP_JOB, TICK_JOB):
        for job in app.job_queue.get_jobs_by_name(name):
            job.schedule_removal()
