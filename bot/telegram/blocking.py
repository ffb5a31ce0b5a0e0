"""The bot's side of the blocking seam (`bot.blocking`): handlers and jobs run their
database work on the application's engine and worker threads.

    shown = await in_thread(context, lambda session: answering.press(session, …))
"""

from __future__ import annotations

from typing import Any

from telegram.ext import CallbackContext

from bot.blocking import T, Work, run_unit
from bot.telegram.context import ENGINE, EXECUTOR


async def in_thread(
    context: CallbackContext[Any, Any, Any, Any], work: Work[T], *, read_only: bool = False
) -> T:
    """`run_unit` on the application's engine and thread pool (handlers and jobs)."""
    data = context.bot_data
    return await run_unit(data[ENGINE], work, read_only=read_only, executor=data.get(EXECUTOR))
