"""Builds the Telegram `Application`: one place that wires settings, database and handlers.

`build_application` is used by `safecomm bot` (long polling against the
configured Bot API base URL), by the offline demo and by the tests (with a
`RecordingRequest` and no updater). Handlers find the engine and settings in
`bot_data` through `bot.telegram.context`; each topic module adds its handlers in
`register(app)`.

Updates are handled `bot_concurrency` at a time, and every database unit of
work runs in the application's worker threads (`bot.telegram.blocking`), so no
statement ever runs on the event loop. One chat's presses that overtake each
other stay correct: a press that no longer fits is stale (see
`surveys.answering`). A database that is locked or unreachable gets the user
"暂时无法访问数据库，请稍后再试", never a traceback.

The bot works in private chats only (`private_only`, in front of every handler): a
command or press in a group or channel gets one line saying so and nothing else, so
credit codes, reasons and chat ids never reach a group.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from sqlalchemy.engine import Engine
from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.blocking import DatabaseUnavailable, new_executor
from bot.telegram import admin as admin_chat
from bot.telegram import agency as agency_chat
from bot.telegram import evidence as evidence_chat
from bot.telegram import leading, recording, start, weblink
from bot.telegram import survey as survey_chat
from bot.telegram.context import ENGINE, EXECUTOR, SETTINGS, texts
from bot.telegram.presses import answer_press
from workflow.core.i18n import set_help_contact
from workflow.core.settings import Settings

logger = logging.getLogger(__name__)

BotApplication = Application[Any, Any, Any, Any, Any, Any]
GUARD_GROUP = -100
"""The handler group of `private_only`: before every other handler (tests add theirs at -1)."""


def build_application(
    settings: Settings,
    engine: Engine,
    *,
    token: str | None = None,
    request: BaseRequest | None = None,
    rate_limiter: bool = True,
    webhook: bool = False,
) -> BotApplication:
    """The bot: `request` replaces HTTP (tests, demo); without it, polling over HTTP, or
    with `webhook` no updater at all (the web app hands it the updates Telegram posts)."""
    secret = token or (
        settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    )
    builder = ApplicationBuilder().token(secret).base_url(settings.telegram_base_url)
    builder = builder.base_file_url(settings.telegram_base_url.replace("/bot", "/file/bot"))
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]
    if request is not None:
        builder = builder.request(request).get_updates_request(request).updater(None)
    elif webhook:
        builder = builder.updater(None)
    builder = builder.concurrent_updates(settings.bot_concurrency)
    app = (
        builder.application_class(SafecommApplication)
        .post_init(on_start)
        .post_stop(on_stop)
        .build()
    )
    app.bot_data[SETTINGS] = settings
    set_help_contact(settings.help_phone, settings.help_email)
    app.bot_data[ENGINE] = engine
    app.add_handler(TypeHandler(Update, private_only), group=GUARD_GROUP)
    for module in (start, survey_chat, recording, agency_chat, admin_chat, evidence_chat, weblink):
        module.register(app)
    app.add_handler(CallbackQueryHandler(expired_button))
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE, not_understood))
    app.add_error_handler(report_error)
    return app


async def on_start(app: BotApplication) -> None:
    """When the bot starts (polling or webhook): publish the command menus and compete
    for the lead; the leader runs the reminder scheduler (`bot.telegram.leading`)."""
    await admin_chat.publish_commands(app)
    leading.start_leading(app)


async def on_stop(app: BotApplication) -> None:
    """When the bot stops: give the lead up, so another process takes over at once."""
    await leading.stop_leading(app)


class SafecommApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's application, owning the worker threads of `bot.telegram.blocking`: they
    start with `initialize` and end with `shutdown` (polling, the demo, the tests)."""

    async def initialize(self) -> None:
        if EXECUTOR not in self.bot_data:
            self.bot_data[EXECUTOR] = new_executor(self.bot_data[SETTINGS].bot_concurrency)
        await super().initialize()

    async def shutdown(self) -> None:
        try:
            await super().shutdown()
        finally:
            executor = self.bot_data.pop(EXECUTOR, None)
            if executor is not None:  # every update is handled by now: the threads are idle
                executor.shutdown(wait=True)


async def private_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Outside a private chat, answer a command or press with "private chats only" and
    stop: no handler sees the update (other messages in a group are ignored)."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    refusal = texts(context).text("chat.private_only")
    if update.callback_query is not None:
        await answer_press(update.callback_query, refusal, show_alert=True)
    elif update.effective_message is not None and filters.COMMAND.check_update(update):
        with contextlib.suppress(TelegramError):  # e.g. the bot may not write in that group
            await update.effective_message.reply_text(refusal)
    raise ApplicationHandlerStop


async def expired_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press no topic recognises (an old or forged button): stop the spinner, say so."""
    if update.callback_query is not None:
        await answer_press(
            update.callback_query, texts(context).text("button.expired"), show_alert=True
        )


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts(context).text("command.unknown"))


async def not_understood(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anything else in a private chat: the date or description of an activity being
    recorded, the survey step of someone in the middle of one, the recording step
    of someone in the middle of that, else a pointer to what the bot can do. (The survey lookup is here, in a worker
    thread, rather than in a filter, which PTB would run on the event loop.)"""
    if update.effective_message is None:
        return
    if await recording.take_text(update, context):  # a date or description being typed
        return
    if await survey_chat.resume(update, context):
        return
    if await recording.resume(update, context):
        return
    await update.effective_message.reply_text(texts(context).text("message.not_understood"))


async def report_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (without personal data) and tell the user, politely, in their language."""
    busy = isinstance(context.error, DatabaseUnavailable)
    if busy:  # locked, timed out or unreachable: nothing was written, the user may retry
        logger.warning("database unavailable: %s", context.error)
    else:
        logger.error("handler failed: %s", type(context.error).__name__, exc_info=context.error)
    if not isinstance(update, Update):
        return
    key = "error.db_unavailable" if busy else "error.internal"
    if update.callback_query is not None:  # stop the button's spinner
        with contextlib.suppress(TelegramError):  # already answered, or too old
            await answer_press(update.callback_query)
    if update.effective_chat is not None:
        with contextlib.suppress(TelegramError):  # e.g. the user blocked the bot meanwhile
            await context.bot.send_message(update.effective_chat.id, texts(context).text(key))
