"""Reading one typed value (text, code, date, yes/no, phone, identifier) from a
form, a command line or a spreadsheet cell, with the reason when it is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from workflow.core.shapes import EMAIL, LANDLINE, MOBILE
from workflow.core.text import code_point, forbidden_character
from workflow.registry.identifiers import credit_code_problem, id_number_problem


class BadValue(Exception):
    """One field's value is wrong (internal: becomes a FieldError)."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


# ---------------------------------------------------------------------------
# Reading one value
# ---------------------------------------------------------------------------

_POSTCODE = re.compile(r"\d{6}")
_NUMBER_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "postcode": (_POSTCODE,),
    "mobile": (MOBILE,),
    "landline": (LANDLINE,),
    "phone": (LANDLINE, MOBILE),
}
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
YES = frozenset({"是", "有", "yes", "y", "true", "1", "√", "✓", "x"})
NO = frozenset({"否", "无", "no", "n", "false", "0", "×", "✗"})
"""The one yes/no vocabulary of every form and spreadsheet (case and width folded)."""


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_text(value: object, *, multiline: bool = False) -> str:
    """Trimmed Unicode text; refuses undecodable bytes and control characters."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise BadValue("registry.invalid.not_utf8") from None
    if isinstance(value, bool):
        raise BadValue("registry.invalid.text")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.isoformat()
    if not isinstance(value, str | int | float):
        raise BadValue("registry.invalid.text")
    text = str(value)
    if "\ufffd" in text:
        raise BadValue("registry.invalid.not_utf8")
    if not multiline:
        text = " ".join(text.split())
    text = text.replace("\r\n", "\n").strip()
    if any(unicodedata.category(ch) == "Cs" for ch in text):  # bytes that were not UTF-8
        raise BadValue("registry.invalid.not_utf8")
    bad = forbidden_character(text, multiline=multiline)
    if bad is not None:
        raise BadValue("registry.invalid.control", code=code_point(bad))
    return text


def _as_code(value: object) -> str:
    """Text for codes and numbers: full-width forms folded, spaces removed, upper case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", _as_text(value))).upper()


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", _as_text(value))
    match = _DATE_TEXT.fullmatch(text)
    if not match:
        raise BadValue("registry.invalid.date")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise BadValue("registry.invalid.date_unreal", text=text) from None


def read_text(value: object, *, multiline: bool = False) -> str:
    """Free text as every form reads it (trimmed; control characters refused): BadValue."""
    return _as_text(value, multiline=multiline)


def read_date(value: object) -> date:
    """A date as people type it (2026-03-05, 2026/3/5, 2026年3月5日): BadValue otherwise."""
    return _as_date(value)


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def read_yes_no(value: object) -> bool | None:
    """是/否, 有/无, yes/no, true/false, 1/0, ✓/✗ as a bool; blank or anything else is
    None. Each caller decides what a blank means and how to refuse the rest."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().lower()
        if text in YES:
            return True
        if text in NO:
            return False
    return None


def _as_bool(value: object) -> bool | None:
    if is_blank(value):
        return None
    answer = read_yes_no(value)
    if answer is None:
        raise BadValue("registry.invalid.bool")
    return answer


def read_value(kind: str, value: object, today: date) -> object:
    """The stored form of one value of the given kind, or `BadValue`."""
    if kind in ("bool", "optional_bool"):
        answer = _as_bool(value)
        return bool(answer) if kind == "bool" else answer
    if kind in ("date", "past_date", "birth_date"):
        day = _as_date(value)
        if kind != "date" and day > today:
            raise BadValue("registry.invalid.future", day=day.isoformat())
        if day.year < 1900:
            raise BadValue("registry.invalid.date_too_old", day=day.isoformat())
        if kind == "birth_date" and not 18 <= _age(day, today) <= 100:
            raise BadValue("registry.invalid.age", age=_age(day, today))
        return day
    if kind == "years":
        text = _as_code(value).removesuffix("年")
        if not text.isdigit() or not 0 <= int(text) <= 80:
            raise BadValue("registry.invalid.years")
        return int(text)
    if kind == "id_number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise BadValue("registry.id_number.not_text")
        number = _as_code(value)
        problem = id_number_problem(number)
        if problem:
            raise BadValue(problem, length=len(number))
        return number
    if kind == "credit_code":
        code = _as_code(value)
        problem = credit_code_problem(code)
        if problem:
            raise BadValue(problem, length=len(code))
        return code
    if kind in _NUMBER_PATTERNS:
        text = _as_code(value)
        if not any(pattern.fullmatch(text) for pattern in _NUMBER_PATTERNS[kind]):
            raise BadValue(f"registry.invalid.{kind}")
        return text
    if kind == "email":
        text = unicodedata.normalize("NFKC", _as_text(value)).lower()
        if not EMAIL.fullmatch(text):
            raise BadValue("registry.invalid.email")
        return text
    if kind == "gender":
        text = _as_text(value)
        if text not in ("男", "女"):
            raise BadValue("registry.invalid.gender")
        return text
    return _as_text(value, multiline=kind == "long_text")
