"""What handlers take from the application: settings, engine, message catalogue."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from telegram.ext import CallbackContext

from bot.texts import LocalCatalogue
from workflow.core.settings import Settings

SETTINGS = "settings"
ENGINE = "engine"
EXECUTOR = "db_executor"  # the worker threads of `bot.telegram.blocking`
LEADERSHIP = "leadership"  # this process's `workflow.core.leader.Leadership` (bot.telegram.leading)


def settings_of(context: CallbackContext[Any, Any, Any, Any]) -> Settings:
    settings: Settings = context.bot_data[SETTINGS]
    return settings


def engine_of(context: CallbackContext[Any, Any, Any, Any]) -> Engine:
    engine: Engine = context.bot_data[ENGINE]
    return engine


def texts(context: CallbackContext[Any, Any, Any, Any]) -> LocalCatalogue:
    return LocalCatalogue(settings_of(context).language)
