"""Message catalogues: every text a person reads comes from one, never inline.

Each package keeps its own `locales/<lang>/*.json` files (one file per topic,
flat keys); a `Catalogue` merges a package's files per language and refuses a
key defined twice. Chinese is the default language; English is a setting.

Help texts say whom to ask with the placeholder `{help_contact}`: every catalogue
fills it in from the Association's phone and e-mail (settings, applied once at
start-up with `set_help_contact`), so no caller passes the contact itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

LANGUAGES = ("zh", "en")
HELP_CONTACT = "help_contact"
_current = {"language": "zh", "help_phone": "", "help_email": ""}


def set_language(language: str) -> None:
    """Set the process-wide language (from settings at start-up)."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    _current["language"] = language


def current_language() -> str:
    return _current["language"]


def set_help_contact(phone: str, email: str) -> None:
    """Set the Association's phone and e-mail that help texts name (from settings)."""
    _current["help_phone"], _current["help_email"] = phone, email


def help_contact(language: str | None = None) -> str:
    """Whom to ask, in words: 文促会（电话 …，邮箱 …）, or 文促会秘书处 when neither is set."""
    phone, email = _current["help_phone"], _current["help_email"]
    if phone and email:
        return workflow_texts.text("help.contact", language, phone=phone, email=email)
    if phone or email:
        key = "help.contact_phone" if phone else "help.contact_email"
        return workflow_texts.text(key, language, phone=phone, email=email)
    return workflow_texts.text("help.secretariat", language)


class Catalogue:
    """The texts of one package, loaded lazily from `<root>/<lang>/*.json`."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._texts: dict[str, dict[str, str]] = {}

    def _load(self, language: str) -> Mapping[str, str]:
        if language not in self._texts:
            merged: dict[str, str] = {}
            for path in sorted((self._root / language).glob("*.json")):
                for key, text in json.loads(path.read_text(encoding="utf-8")).items():
                    if key in merged:
                        raise ValueError(f"message key {key!r} defined twice ({path.name})")
                    merged[key] = text
            self._texts[language] = merged
        return self._texts[language]

    def keys(self, language: str) -> set[str]:
        return set(self._load(language))

    def text(self, key: str, language: str | None = None, /, **params: object) -> str:
        """The text for `key` in `language` (default: the current one), formatted."""
        language = language or current_language()
        texts = self._load(language)
        if key not in texts:
            raise KeyError(f"no message {key!r} for language {language!r}")
        text = texts[key]
        if "{" + HELP_CONTACT + "}" in text:
            params = {HELP_CONTACT: help_contact(language), **params}
        return text.format(**params) if params else text


workflow_texts = Catalogue(Path(__file__).parent.parent / "locales")
