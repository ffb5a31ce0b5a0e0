"""`/start`: the entry of every deep link (survey invitations, agency links).

Topic modules add a resolver to the application with `add_deep_link`; `/start
<payload>` asks each in turn and the first that recognises the payload handles
it. A bare `/start` continues what the user left unfinished (e.g. a survey),
else it, like an unknown payload, gets a helpful reply.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.telegram.context import texts

DEEP_LINKS = "deep_links"
BARE_STARTS = "bare_starts"
PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# A resolver returns True when it recognised (and handled) the payload.
DeepLinkResolver = Callable[[Update, ContextTypes.DEFAULT_TYPE, str], Awaitable[bool]]
# A bare-start handler returns True when it had something to continue for this user.
BareStart = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[bool]]


def add_deep_link(
    app: Application[Any, Any, Any, Any, Any, Any], resolver: DeepLinkResolver
) -> None:
    """Let `resolver` look at every `/start <payload>`."""
    app.bot_data.setdefault(DEEP_LINKS, []).append(resolver)


def add_bare_start(app: Application[Any, Any, Any, Any, Any, Any], handler: BareStart) -> None:
    """Let `handler` continue what this user left unfinished when they send a bare `/start`."""
    app.bot_data.setdefault(BARE_STARTS, []).append(handler)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Route a deep link to the resolver that knows it, or explain how to get one."""
    message = update.effective_message
    if message is None:
        return
    payload = context.args[0] if context.args else ""
    if not payload:
        for handler in context.bot_data.get(BARE_STARTS, []):
            if await handler(update, context):
                return
        await message.reply_text(texts(context).text("start.no_token"))
        return
    if PAYLOAD.match(payload):
        for resolver in context.bot_data.get(DEEP_LINKS, []):
            if await resolver(update, context, payload):
                return
    await message.reply_text(texts(context).text("start.unknown_token"))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("start", start))
