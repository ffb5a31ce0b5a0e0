"""The leader's work in a long-running process: only the process that leads
(`workflow.core.leader`) runs the reminder scheduler and sends.

`start_leading(app)` runs a task beside the bot: a follower tries to take the
lead every `poll_seconds`; the leader checks it still leads as often (and the
sender checks before every batch). On taking the lead it waits one second — the
old leader's last sends are then more than a second old, so Telegram's per-second
limits hold across the handover — recovers what a dead sender left in the outbox
(`outbox.recover`), and schedules the reminder jobs; on losing it, it removes them.
On SQLite there is one process, and it leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram.ext import Application

from bot.blocking import run_unit
from bot.telegram import jobs
from bot.telegram.context import ENGINE, EXECUTOR, LEADERSHIP, SETTINGS
from bot.telegram.sender import CHAT_INTERVAL
from workflow.core.leader import Leadership
from workflow.reminders import outbox

logger = logging.getLogger(__name__)

_TASK = "leading_task"

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def start_leading(app: AnyApplication) -> None:
    """Start competing for the lead (idempotent); `stop_leading` ends it."""
    if _TASK in app.bot_data:
        return
    settings = app.bot_data[SETTINGS]
    leadership = Leadership(app.bot_data[ENGINE], takeover_seconds=settings.leader_takeover_seconds)
    app.bot_data[LEADERSHIP] = leadership
    app.bot_data[_TASK] = asyncio.get_running_loop().create_task(_lead(app, leadership))


async def stop_leading(app: AnyApplication) -> None:
    """Stop the task, remove the jobs and give the lead up (another process takes it)."""
    task = app.bot_data.pop(_TASK, None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    leadership: Leadership | None = app.bot_data.pop(LEADERSHIP, None)
    if leadership is not None:
        jobs.unschedule_reminders(app)
        await asyncio.to_thread(leadership.release)


async def _lead(app: AnyApplication, leadership: Leadership) -> None:
    while True:
        if not leadership.leading:
            if await asyncio.to_thread(leadership.try_acquire):
                await _take_over(app)
        elif not await asyncio.to_thread(leadership.check):
            jobs.unschedule_reminders(app)
            logger.warning("no longer the leader: reminders stopped in this process")
        await asyncio.sleep(leadership.poll_seconds)


async def _take_over(app: AnyApplication) -> None:
    await asyncio.sleep(CHAT_INTERVAL)
    released, uncertain = await run_unit(
        app.bot_data[ENGINE], outbox.recover, executor=app.bot_data.get(EXECUTOR)
    )
    if released or uncertain:
        logger.warning(
            "took over from a stopped sender: %d reminders pending again, %d uncertain",
            released,
            uncertain,
        )
    jobs.schedule_reminders(app)
    logger.info("this process leads: it runs the reminder scheduler")
