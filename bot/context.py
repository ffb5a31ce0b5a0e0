"""What handlers take from the application: settings, engine, message catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from telegram.ext import CallbackContext

from workflow.i18n import Catalogue
from workflow.settings import Settings

SETTINGS = "settings"
ENGINE = "engine"

bot_texts = Catalogue(Path(__file__).parent / "locales")


class LocalCatalogue:
    """The bot catalogue bound to the configured language."""

    def __init__(self, language: str) -> None:
        self.language = language

    def text(self, key: str, /, **params: object) -> str:
        return bot_texts.text(key, self.language, **params)


def settings_of(context: CallbackContext[Any, Any, Any, Any]) -> Settings:
    settings: Settings = context.bot_data[SETTINGS]
    return settings


def engine_of(context: CallbackContext[Any, Any, Any, Any]) -> Engine:
    engine: Engine = context.bot_data[ENGINE]
    return engine


def texts(context: CallbackContext[Any, Any, Any, Any]) -> LocalCatalogue:
    return LocalCatalogue(settings_of(context).language)
