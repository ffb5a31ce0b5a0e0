"""Message catalogues: every text a person reads comes from one, never inline.

Each package keeps its own `locales/<lang>/*.json` files (one file per topic,
flat keys); a `Catalogue` merges a package's files per language and refuses a
key defined twice. Chinese is the default language; English is a setting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

LANGUAGES = ("zh", "en")
_current = {"language": "zh"}


def set_language(language: str) -> None:
    """Set the process-wide language (from settings at start-up)."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    _current["language"] = language


def current_language() -> str:
    return _current["language"]


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
        texts = self._load(language or current_language())
        if key not in texts:
            raise KeyError(f"no message {key!r} for language {language or current_language()!r}")
        return texts[key].format(**params) if params else texts[key]


workflow_texts = Catalogue(Path(__file__).parent.parent / "locales")
