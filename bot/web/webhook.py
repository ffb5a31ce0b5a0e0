"""`POST /telegram/<path>`: the updates Telegram posts in webhook mode.

Only in webhook mode, and only on the path derived from the secret
(`Settings.webhook_path`) with the secret itself in Telegram's
`X-Telegram-Bot-Api-Secret-Token` header; anything else is 404 or 403, so
nobody else can post updates. Each `update_id` is handled once
(`workflow.access.updates`): a duplicate that arrives while another worker is
still handling it gets 503 (Telegram tries again later), one after that 200.
The update is handled before the answer, so a worker killed mid-update leaves
Telegram to redeliver it. With the database unreachable the update is still
handled: its handler tells the user the database is temporarily unavailable.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from telegram import Update

from bot.blocking import DatabaseUnavailable, run_unit
from workflow.access import updates
from workflow.core.clock import utcnow

logger = logging.getLogger(__name__)
router = APIRouter()

SECRET_HEADER = "x-telegram-bot-api-secret-token"
MAX_UPDATE_BYTES = 1024 * 1024
"""An update is a few kilobytes; a larger body is not Telegram's."""


@router.post("/telegram/{path}", include_in_schema=False)
async def receive(path: str, request: Request) -> Response:
    state = request.app.state
    settings, bot = state.settings, getattr(state, "bot", None)
    if bot is None or not hmac.compare_digest(f"/telegram/{path}", settings.webhook_path):
        return Response(status_code=404)
    secret = settings.webhook_secret.get_secret_value().encode()
    if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret):
        return Response(status_code=403)
    body = await request.body()
    update = _update(body, bot) if len(body) <= MAX_UPDATE_BYTES else None
    if update is None:
        return Response(status_code=400)

    def take(session: Any) -> updates.Take:
        return updates.take(session, update.update_id, utcnow())

    try:
        taken: updates.Take | None = await run_unit(state.engine, take, executor=state.executor)
    except DatabaseUnavailable:
        taken = None  # handled anyway: its handler finds the database down and says so
    if taken is updates.Take.BUSY:
        return Response(status_code=503, headers={"Retry-After": "1"})
    if taken is updates.Take.DONE:
        return Response(status_code=200)
    await bot.update_processor.process_update(update, bot.process_update(update))
    if taken is updates.Take.NEW:
        try:
            await run_unit(
                state.engine,
                lambda session: updates.finish(session, update.update_id, utcnow()),
                executor=state.executor,
            )
        except DatabaseUnavailable:
            logger.warning("update %s handled but not recorded as done", update.update_id)
    return Response(status_code=200)


def _update(body: bytes, bot: Any) -> Update | None:
    """The update in `body`, or None if it is not one."""
    try:
        data = json.loads(body)
        update = Update.de_json(data, bot.bot) if isinstance(data, dict) else None
    except (ValueError, TypeError, KeyError):
        return None
    return update if update is not None and isinstance(update.update_id, int) else None
