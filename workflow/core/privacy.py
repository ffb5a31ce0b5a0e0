"""Personal data (ID numbers, phones): masked in every output, never logged.

`mask_id` and `mask_phone` are what every display uses; `RedactingFilter` is a
safety net on the root logger that masks anything shaped like an ID number or a
mobile number that slipped into a log message.
"""

from __future__ import annotations

import logging
import re

# People type numbers with spaces or dashes inside, with a +86 / 86 prefix, in
# full-width digits, or right after a label ("ID110105…", "身份证110105…"). An ID
# number is matched only when its eight middle digits are a plausible birth date, so
# that long digit runs (order numbers, credit codes) are not mangled.
_SEP = r"[ \-]?"
_ID_LIKE = re.compile(
    rf"(?<!\d)(\d{{6}}){_SEP}((?:18|19|20)\d{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
    rf"{_SEP}(\d{{3}}[0-9Xx])(?![0-9])"
)
_MOBILE_LIKE = re.compile(
    rf"(?<![\d+])((?:\+?86{_SEP})?)(1[3-9]\d){_SEP}(\d{{4}}){_SEP}(\d{{4}})(?!\d)"
)
_FULL_WIDTH = str.maketrans(
    {chr(0xFF10 + d): str(d) for d in range(10)}
    | {"\uff0b": "+", "\uff0d": "-", "\u3000": " ", "\uff38": "X", "\uff58": "x"}
)


def mask_id(number: str | None) -> str:
    """`110105199001011234` → `110105********1234` (first 6, last 4 kept)."""
    if not number:
        return ""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(number: str | None) -> str:
    """Mobile `13812345678` → `138****5678`; landline keeps area code and last 2."""
    if not number:
        return ""
    digits = number.translate(_FULL_WIDTH).strip()
    mobile = re.sub(r"[ \-]", "", digits).removeprefix("+").removeprefix("86")
    if re.fullmatch(r"1[3-9]\d{9}", mobile):
        return mobile[:3] + "****" + mobile[-4:]
    if "-" in digits:
        area, _, rest = digits.partition("-")
        return area + "-" + "*" * max(len(rest) - 2, 0) + rest[-2:]
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


def redact(text: str) -> str:
    """Mask anything in free text that looks like an ID number or mobile number, in
    the forms people type (full-width digits are read as ASCII ones)."""
    text = text.translate(_FULL_WIDTH)
    text = _ID_LIKE.sub(lambda m: m[1] + "********" + m[3][-4:], text)
    return _MOBILE_LIKE.sub(lambda m: m[1] + m[2] + "****" + m[4], text)


class RedactingFilter(logging.Filter):
    """Masks personal data in every log record that passes through, including the
    traceback of a logged exception (a database error quotes the values it was given)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:  # formatters print this cached text instead of re-formatting
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_log_redaction() -> None:
    """Attach the filter to every root handler (call once at start-up)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    logging.getLogger("httpx").setLevel(logging.WARNING)
