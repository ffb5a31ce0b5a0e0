"""`safecomm bot`: run the Telegram bot with long polling until SIGINT or SIGTERM.

The token comes from the settings (`SAFECOMM_TELEGRAM_TOKEN`), the Bot API
server from `SAFECOMM_TELEGRAM_BASE_URL` (Telegram's by default; a local
server in the end-to-end tests). Pending updates are kept on start, so taps
made while the bot was down are handled when it is back. The token never
reaches the logs: httpx (which logs URLs) is turned down to WARNING and a
filter blanks the token from any record that would still carry it.
"""

from __future__ import annotations

import logging
import sys

from telegram import Update
from telegram.error import InvalidToken, TelegramError

from bot.telegram.app import build_application
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


def run_bot(settings: Settings) -> int:
    """Poll the Bot API and handle updates until stopped; the exit code (0 = stopped cleanly)."""
    language = settings.language
    if settings.telegram_token is None:
        print(bot_texts.text("runner.no_token", language), file=sys.stderr)
        return 2
    warn_without_help_contact(settings)
    token = settings.telegram_token.get_secret_value()
    install_log_redaction()
    for handler in logging.getLogger().handlers:
        handler.addFilter(HideToken(token))
    logging.getLogger("telegram.ext").addFilter(ShortNetworkErrors())
    engine = bot_engine(settings)
    ensure_schema(engine)
    app = build_application(settings, engine)
    logger.info("polling %s for updates", settings.telegram_base_url)
    try:
        app.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
    except InvalidToken as error:
        reason = str(error).replace(token, "<token>")
        print(bot_texts.text("runner.token_rejected", language, reason=reason), file=sys.stderr)
        return 2
    except TelegramError as error:
        reason = str(error).replace(token, "<token>")
        base_url = settings.telegram_base_url
        print(
            bot_texts.text("runner.unreachable", language, base_url=base_url, reason=reason),
            file=sys.stderr,
        )
        return 1
    finally:
        engine.dispose()
    logger.info("bot stopped")
    return 0
