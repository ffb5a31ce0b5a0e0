"""The bot's message catalogue (`bot/locales`), shared by chat, CLI and demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workflow.core.i18n import Catalogue, workflow_texts

if TYPE_CHECKING:
    from workflow.core.settings import Settings

bot_texts = Catalogue(Path(__file__).parent / "locales")


def warn_without_help_contact(settings: Settings) -> None:
    """Once, as the bot or the demo starts: with no help contact set, the help texts can
    name only 文促会秘书处 (docs/decisions.md)."""
    if not (settings.help_phone or settings.help_email):
        print(workflow_texts.text("help.unset_warning", settings.language), file=sys.stderr)


class LocalCatalogue:
    """The bot catalogue bound to the configured language."""

    def __init__(self, language: str) -> None:
        self.language = language

    def text(self, key: str, /, **params: object) -> str:
        return bot_texts.text(key, self.language, **params)
