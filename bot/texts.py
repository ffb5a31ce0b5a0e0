"""The bot's message catalogue (`bot/locales`), shared by chat, CLI and demo."""

from __future__ import annotations

from pathlib import Path

from workflow.core.i18n import Catalogue

bot_texts = Catalogue(Path(__file__).parent / "locales")


class LocalCatalogue:
    """The bot catalogue bound to the configured language."""

    def __init__(self, language: str) -> None:
        self.language = language

    def text(self, key: str, /, **params: object) -> str:
        return bot_texts.text(key, self.language, **params)
