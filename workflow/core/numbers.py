"""Numbers as people type them (chat, terminal, forms, spreadsheets), read one way.

Full-width digits (`２０２６`) and surrounding spaces are fine; signs, decimal points,
superscripts and anything longer than a bound are not. Every kind has its bounds, so
a number that cannot name a row, a Telegram user or a sensible quota is refused
with a clear message before it reaches the database (PostgreSQL's `integer` stops
at 2**31 - 1 and answers a larger one with an error, SQLite with an OverflowError).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from workflow.core.errors import InvalidInput
from workflow.core.i18n import workflow_texts

MAX_ROW_ID = 2**31 - 1  # PostgreSQL's integer: a larger number cannot name a row
MAX_TELEGRAM_ID = 2**52  # Telegram: user ids have at most 52 significant bits
_MAX_DIGITS = 19


def read_int(value: object, low: int, high: int) -> int | None:
    """`value` as a whole number from `low` to `high`, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()
        if not (text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS):
            return None
        number = int(text)
    return number if low <= number <= high else None


@dataclass(frozen=True)
class Kind:
    """A kind of number people type: its name in messages and its bounds."""

    what: str  # the message key naming it: number.what.<what>
    low: int
    high: int

    def read(self, value: object) -> int:
        """`value` as this kind of number, or InvalidInput saying what was expected."""
        number = read_int(value, self.low, self.high)
        if number is None:
            shown = str(value)
            raise InvalidInput(
                "number.bad",
                what=workflow_texts.text(f"number.what.{self.what}"),
                value=shown if len(shown) <= 24 else shown[:24] + "…",
                low=self.low,
                high=self.high,
            )
        return number


ROW_ID = Kind("id", 1, MAX_ROW_ID)
TELEGRAM_USER = Kind("telegram_user", 1, MAX_TELEGRAM_ID)
QUOTA = Kind("quota", 1, 10_000)
