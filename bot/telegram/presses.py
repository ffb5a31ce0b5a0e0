"""Answering a button press: the one place that calls `CallbackQuery.answer`.

Telegram takes an answer to a press only once and only for a short while. A press
re-delivered after a restart (or answered already) is refused with a 400 "query is
too old … or query id is invalid"; by then the unit of work may well have committed,
so that refusal must not become "您的操作未被记录": it is logged, and the handler goes
on to show the real outcome (the edited message, the confirmation).
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery
from telegram.error import BadRequest

logger = logging.getLogger(__name__)

_GONE = ("query is too old", "query id is invalid", "already answered")
"""How Telegram words a press that can no longer be answered."""


async def answer_press(
    query: CallbackQuery, text: str | None = None, *, show_alert: bool = False
) -> None:
    """Stop the button's spinner (with `text`, as an alert if `show_alert`); a press
    Telegram no longer takes an answer for is logged, not raised."""
    try:
        await query.answer(text, show_alert=show_alert)
    except BadRequest as refused:
        if not any(words in refused.message.lower() for words in _GONE):
            raise
        logger.warning("press %s not answered (too old or answered already)", query.id)
