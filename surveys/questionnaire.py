"""The creation-unit questionnaire as data: five items, each rated 0–4 points.

`questionnaire.json` beside this module holds the items (Chinese and English
text, the scoring-table indicator each feeds) and the labelled scale. It is
loaded and checked once; a malformed file stops start-up with a clear error
rather than producing a survey with a missing item.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from workflow.core.i18n import LANGUAGES

SOURCE = Path(__file__).with_name("questionnaire.json")
ITEM_NUMBERS = (1, 2, 3, 4, 5)
POINTS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Item:
    """One question: its number (1–5), the indicator it feeds ("3.1"…) and its texts."""

    number: int
    indicator: str
    short: dict[str, str]
    text: dict[str, str]


@dataclass(frozen=True)
class Questionnaire:
    title: dict[str, str]
    items: tuple[Item, ...]
    scale: dict[int, dict[str, str]]

    def item(self, number: int) -> Item:
        return self.items[number - 1]

    def label(self, points: int, language: str) -> str:
        """The label of a point on the scale, e.g. 3 → "满意"."""
        return self.scale[points][language]

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(item.indicator for item in self.items)


def _texts(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or any(not raw.get(lang) for lang in LANGUAGES):
        raise ValueError(f"questionnaire: {where} needs a text in each of {LANGUAGES}")
    return {lang: str(raw[lang]) for lang in LANGUAGES}


def parse(data: dict[str, Any]) -> Questionnaire:
    """Build and check the questionnaire from its JSON form."""
    items = tuple(
        Item(
            number=int(raw["number"]),
            indicator=str(raw["indicator"]),
            short=_texts(raw.get("short"), f"item {raw.get('number')} short"),
            text=_texts(raw.get("text"), f"item {raw.get('number')} text"),
        )
        for raw in data["items"]
    )
    if tuple(item.number for item in items) != ITEM_NUMBERS:
        raise ValueError("questionnaire: items must be numbered 1 to 5 in order")
    if tuple(item.indicator for item in items) != ("3.1", "3.2", "3.3", "3.4", "3.5"):
        raise ValueError("questionnaire: items must feed indicators 3.1 to 3.5 in order")
    scale = {int(raw["points"]): _texts(raw.get("label"), "scale label") for raw in data["scale"]}
    if tuple(scale) != POINTS:
        raise ValueError("questionnaire: the scale must be 0 to 4 points, each with a label")
    return Questionnaire(title=_texts(data.get("title"), "title"), items=items, scale=scale)


@lru_cache(maxsize=1)
def questionnaire() -> Questionnaire:
    """The questionnaire, loaded and checked once."""
    return parse(json.loads(SOURCE.read_text(encoding="utf-8")))
