"""The scoring standard (考核标准) as data: `standard.json`, checked when it is loaded.

The file holds the four sections, the 17 scored indicators, the bonus items
and the grade thresholds exactly as in the Association's table. It is read
once, when this module is imported, and a file that breaks the table's own
arithmetic (a section not summing to its maximum, a total other than 100, a
repeated code) stops the program with `StandardError` instead of scoring
agencies wrongly. B4 has no points in the table: its points are the policy
setting `b4_points`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from workflow.core.i18n import workflow_texts

STANDARD_FILE = Path(__file__).with_name("standard.json")
METHODS = ("materials", "questionnaire")

Method = Literal["materials", "questionnaire"]
_FIRST_CLAUSE = re.compile(r"[，。：,:;；]")


class StandardError(ValueError):
    """The standard file is inconsistent; the message says where."""


@dataclass(frozen=True)
class Slip:
    """A slip of the original table (TERMS.md): `text_zh` keeps the verbatim words,
    the shown text reads `corrected` with a note that the original reads `original`."""

    original: str
    corrected: str


def _shown(verbatim: str, slip: Slip | None) -> str:
    if slip is None:
        return verbatim
    note = workflow_texts.text("assessment.standard.original_reads", "zh", original=slip.original)
    return verbatim.replace(slip.original, slip.corrected) + note


def _slip(item: dict[str, Any]) -> Slip | None:
    slip = item.get("slip_zh")
    if slip is None:
        return None
    if slip["original"] not in item["text_zh"]:
        raise StandardError(f"standard: {item['code']} slip not in its text: {slip['original']}")
    return Slip(original=slip["original"], corrected=slip["corrected"])


@dataclass(frozen=True)
class Section:
    """A first-level indicator (一级指标) with its maximum."""

    number: int
    name_zh: str
    name_en: str
    max: int

    def name(self, language: str) -> str:
        return self.name_zh if language == "zh" else self.name_en


@dataclass(frozen=True)
class Indicator:
    """A scored second-level indicator (二级指标), 0..max whole points."""

    code: str
    section: int
    method: Method
    max: int
    text_zh: str
    text_en: str
    slip_zh: Slip | None = None

    def text(self, language: str) -> str:
        return _shown(self.text_zh, self.slip_zh) if language == "zh" else self.text_en

    def short_text(self, language: str) -> str:
        """The indicator's first clause, e.g. 2.4 "指导创建单位开展风险辨识工作及设立项目",
        to name it in a reason."""
        return _FIRST_CLAUSE.split(self.text(language), maxsplit=1)[0].strip().rstrip(".")


@dataclass(frozen=True)
class BonusItem:
    """A bonus item: fixed points per counted case, or None for the policy value (B4)."""

    code: str
    points: int | None
    unit_zh: str
    unit_en: str
    text_zh: str
    text_en: str
    slip_zh: Slip | None = None

    def text(self, language: str) -> str:
        return _shown(self.text_zh, self.slip_zh) if language == "zh" else self.text_en

    def unit(self, language: str, points: int) -> str:
        return (self.unit_zh if language == "zh" else self.unit_en).format(points=points)


@dataclass(frozen=True)
class Standard:
    """The whole table: sections, indicators in table order, bonus items, grade thresholds."""

    title_zh: str
    title_en: str
    total: int
    excellent_from: int
    qualified_from: int
    sections: tuple[Section, ...]
    indicators: tuple[Indicator, ...]
    bonus: tuple[BonusItem, ...]
    notes_zh: tuple[str, ...]
    notes_en: tuple[str, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(indicator.code for indicator in self.indicators)

    @property
    def questionnaire_codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.indicators if i.method == "questionnaire")

    @property
    def bonus_codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.bonus)

    @cached_property
    def _by_code(self) -> dict[str, Indicator]:
        return {indicator.code: indicator for indicator in self.indicators}

    @cached_property
    def _bonus_by_code(self) -> dict[str, BonusItem]:
        return {item.code: item for item in self.bonus}

    def indicator(self, code: str) -> Indicator:
        return self._by_code[code]

    def bonus_item(self, code: str) -> BonusItem:
        return self._bonus_by_code[code]

    def section(self, number: int) -> Section:
        return next(section for section in self.sections if section.number == number)

    def in_section(self, number: int) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.section == number)

    def title(self, language: str) -> str:
        return self.title_zh if language == "zh" else self.title_en

    def notes(self, language: str) -> tuple[str, ...]:
        return self.notes_zh if language == "zh" else self.notes_en


def _unique(kind: str, values: list[Any]) -> None:
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise StandardError(f"standard: {kind} repeated: {', '.join(repeated)}")


def _whole(value: object, what: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise StandardError(f"standard: {what} must be a whole number >= {minimum}, not {value!r}")
    return value


def parse_standard(data: dict[str, Any]) -> Standard:
    """Build the standard from the file's data and check its arithmetic; raise `StandardError`."""
    try:
        sections = tuple(
            Section(
                number=_whole(s["number"], "section number", 1),
                name_zh=s["name_zh"],
                name_en=s["name_en"],
                max=_whole(s["max"], f"maximum of section {s['number']}", 1),
            )
            for s in data["sections"]
        )
        indicators = tuple(
            Indicator(
                code=i["code"],
                section=i["section"],
                method=i["method"],
                max=_whole(i["max"], f"maximum of indicator {i['code']}", 1),
                text_zh=i["text_zh"],
                text_en=i["text_en"],
                slip_zh=_slip(i),
            )
            for i in data["indicators"]
        )
        bonus = tuple(
            BonusItem(
                code=b["code"],
                points=None if b["points"] is None else _whole(b["points"], b["code"], 0),
                unit_zh=b["unit_zh"],
                unit_en=b["unit_en"],
                text_zh=b["text_zh"],
                text_en=b["text_en"],
                slip_zh=_slip(b),
            )
            for b in data["bonus"]
        )
        total = _whole(data["total"], "total", 1)
        excellent = _whole(data["grading"]["excellent"], "excellent threshold", 1)
        qualified = _whole(data["grading"]["qualified"], "qualified threshold", 1)
        title_zh, title_en = data["title_zh"], data["title_en"]
        notes_zh, notes_en = tuple(data["notes_zh"]), tuple(data["notes_en"])
    except KeyError as missing:
        raise StandardError(f"standard: missing field {missing}") from None

    _unique("section number", [s.number for s in sections])
    _unique("indicator code", [i.code for i in indicators])
    _unique("bonus code", [b.code for b in bonus])
    numbers = {s.number for s in sections}
    for indicator in indicators:
        if indicator.section not in numbers:
            raise StandardError(
                f"standard: {indicator.code} names unknown section {indicator.section}"
            )
        if not indicator.code.startswith(f"{indicator.section}."):
            raise StandardError(
                f"standard: {indicator.code} is not numbered in section {indicator.section}"
            )
        if indicator.method not in METHODS:
            raise StandardError(
                f"standard: {indicator.code} has unknown method {indicator.method!r}"
            )
    for section in sections:
        points = sum(i.max for i in indicators if i.section == section.number)
        if points != section.max:
            raise StandardError(
                f"standard: section {section.number} indicators sum to {points}, not {section.max}"
            )
    if sum(s.max for s in sections) != total or total != 100:
        raise StandardError(
            f"standard: sections sum to {sum(s.max for s in sections)}; the total must be 100"
        )
    if not 0 < qualified < excellent <= total:
        raise StandardError("standard: grading needs 0 < qualified < excellent <= total")
    return Standard(
        title_zh=title_zh,
        title_en=title_en,
        total=total,
        excellent_from=excellent,
        qualified_from=qualified,
        sections=sections,
        indicators=indicators,
        bonus=bonus,
        notes_zh=notes_zh,
        notes_en=notes_en,
    )


def load_standard(path: Path = STANDARD_FILE) -> Standard:
    """Read and check the standard file."""
    return parse_standard(json.loads(path.read_text(encoding="utf-8")))


STANDARD = load_standard()
