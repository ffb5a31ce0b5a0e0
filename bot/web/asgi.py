"""`create`: the uvicorn factory of a webhook worker (`safecomm start` in webhook mode,
or `uvicorn --factory bot.web.asgi:create --workers N` behind nginx).

Each worker process builds its own engine, bot (no updater) and pages from the
settings in its environment, with one pool of worker threads for both; the bot
starts with the app and competes for the lead (`bot.telegram.leading`), so of all
the workers on one database exactly one runs the scheduler and sends reminders.
"""

from __future__ import annotations

from fastapi import FastAPI

from bot.blocking import new_executor
from bot.telegram.app import build_application
from bot.telegram.context import EXECUTOR
from bot.telegram.runner import hide_secrets
from bot.web.app import create_app
from bot.web.logs import install_web_log_filters
from workflow.core.db import bot_engine
from workflow.core.settings import SettingsError, get_settings


def create() -> FastAPI:
    """One webhook worker's application (the schema is migrated before workers start)."""
    settings = get_settings()
    if settings.telegram_mode != "webhook" or settings.telegram_token is None:
        raise SettingsError(
            "SAFECOMM_TELEGRAM_MODE=webhook and SAFECOMM_TELEGRAM_TOKEN are needed for a"
            " webhook worker"
        )
    hide_secrets(settings.telegram_token.get_secret_value())
    install_web_log_filters()
    engine = bot_engine(settings)
    executor = new_executor(settings.bot_concurrency)
    bot = build_application(settings, engine, webhook=True)
    bot.bot_data[EXECUTOR] = executor
    return create_app(settings, engine, executor=executor, bot=bot)
