"""What a phone number and an e-mail address look like: the one definition that the
registry's forms and the settings (the Association's help contact) both check against."""

from __future__ import annotations

import re

MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE = re.compile(r"(?:0\d{2,3}-?|\(0\d{2,3}\))\d{7,8}(?:-\d{1,6})?")
EMAIL = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
)


def is_phone(text: str) -> bool:
    """A landline (`010-12345678`, `(010)12345678`, an extension `-123`) or a mobile."""
    return any(pattern.fullmatch(text) for pattern in (LANDLINE, MOBILE))
