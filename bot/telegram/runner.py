"""`safecomm bot`: run the Telegram bot with long polling until SIGINT or SIGTERM;
`polling`: the same bot inside an event loop that serves the web pages too (`safecomm start`).

The token comes from the settings (`SAFECOMM_TELEGRAM_TOKEN`), the Bot API
server from `SAFECOMM_TELEGRAM_BASE_URL` (Telegram's by default; a local
server in the end-to-end tests). Pending updates are kept on start, so taps
made while the bot was down are handled when it is back. The token never
reaches the logs: httpx (which logs URLs) is turned down to WARNING and a
filter blanks the token from any record that would still carry it.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import AsyncIterator

from telegram import Update
from telegram.error import InvalidToken, TelegramError

from bot.telegram.app import BotApplication, build_application
from bot.texts import bot_texts, warn_without_help_contact
from migrations import ensure_schema
from workflow.core.db import bot_engine
from workflow.core.privacy import install_log_redaction
from workflow.core.settings import Settings

logger = logging.getLogger(__name__)


class HideToken(logging.Filter):
    """Replaces the bot token in every log record with `<token>`."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg, record.args = message.replace(self._token, "<token>"), None
        if record.exc_info and self._token in logging.Formatter().formatException(record.exc_info):
            record.exc_info, record.exc_text = None, None
        return True


class ShortNetworkErrors(logging.Filter):
    """PTB's network retry loop logs a full traceback for "server unreachable": keep one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Network Retry Loop"):
            record.exc_info, record.exc_text = None, None
        return True


def hide_secrets(token: str) -> None:
    """Personal data and the bot token out of every log line; PTB's retry noise short."""
    install_log_redaction()
    for handler in logging.getLogger().handlers:
        handler.addFilter(HideToken(token))
    logging.getLogger("telegram.ext").addFilter(ShortNetworkErrors())


def start_failure(error: TelegramError, settings: Settings, token: str) -> int:
    """One line on stderr for a bot that could not start; the exit code (2: the token was
    rejected, 1: the Bot API server could not be reached)."""
    language = settings.language
    reason = str(error).replace(token, "<token>")
    if isinstance(error, InvalidToken):
        print(bot_texts.text("runner.token_rejected", language, reason=reason), file=sys.stderr)
        return 2
    base_url = settings.telegram_base_url
    print(
        bot_texts.text("runner.unreachable", language, base_url=base_url, reason=reason),
        file=sys.stderr,
    )
    return 1


@contextlib.asynccontextmanager
async def serving(app: BotApplication, *, poll: bool = False) -> AsyncIterator[None]:
    """The bot running in the event loop, beside other work (the web pages), in the order
    `Application.run_polling` uses: initialize, the start-up hook (which competes for the
    lead), with `poll` the updater's polling, start; on the way out the updater stops
    first, so no update is fetched that the stopping application would not handle, then
    stop, the stop hook and shutdown. Without `poll` (webhook mode) the web app hands
    the bot each update Telegram posts."""
    await app.initialize()
    try:
        if app.post_init is not None:  # run_polling calls it; outside it nobody does
            await app.post_init(app)
        updater = app.updater if poll else None
        if poll:
            assert updater is not None  # built for polling

            def polling_error(error: TelegramError) -> None:
                app.create_task(app.process_error(update=None, error=error))

            await updater.start_polling(
                allowed_updates=Update.ALL_TYPES, error_callback=polling_error
            )
        try:
            await app.start()
            yield
        finally:
            if updater is not None and updater.running:
                await updater.stop()
            if app.running:
                await app.stop()
                if app.post_stop is not None:
                    await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


def polling(app: BotApplication) -> contextlib.AbstractAsyncContextManager[None]:
    """`serving` with long polling (`safecomm start` in polling mode)."""
    return serving(app, poll=True)


def run_bot(settings: Settings) -> int:
    """Poll the Bot API and handle updates until stopped; the exit code (0 = stopped cleanly)."""
    language = settings.language
    if settings.telegram_token is None:
        print(bot_texts.text("runner.no_token", language), file=sys.stderr)
        return 2
    if settings.telegram_mode == "webhook":  # Telegram refuses getUpdates while a webhook is set
        print(bot_texts.text("runner.webhook_mode", language), file=sys.stderr)
        return 2
    warn_without_help_contact(settings)
    token = settings.telegram_token.get_secret_value()
    hide_secrets(token)
    engine = bot_engine(settings)
    ensure_schema(engine)
    app = build_application(settings, engine)
    logger.info("polling %s for updates", settings.telegram_base_url)
    try:
        app.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
    except TelegramError as error:
        return start_failure(error, settings, token)
    finally:
        engine.dispose()
    logger.info("bot stopped")
    return 0
