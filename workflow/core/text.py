"""The one rule for free text people type (names, notes, reasons, titles, objections).

Checked at the domain edge, so the CLI, the chat and the web refuse the same text with
the same message: trimmed, NFC, no control or format characters (U+0000–U+001F, U+007F,
U+0080–U+009F, U+200B, U+202E, U+FEFF...), no newline in a one-line field, and at most a
field's length. A control character stored once would crash every xlsx export later
(openpyxl refuses them), and a right-to-left override makes a name read differently.
"""

from __future__ import annotations

import unicodedata

from workflow.core.errors import InvalidInput
from workflow.core.i18n import workflow_texts

NAME_MAX = 200
"""A one-line name or title (units, rounds, bases, projects)."""

NOTE_MAX = 2000
"""A multi-line note, reason, effect or objection."""

_MULTILINE_ALLOWED = frozenset("\n\t")
_LINE_BREAKS = frozenset("\n\r\u2028\u2029")
_ALWAYS_ALLOWED = frozenset("\u200d")  # zero-width joiner: inside emoji sequences


def forbidden_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character the rule refuses in `text` (Cc, Cf, Cs; newline and tab are
    allowed only in multi-line text, U+2028/U+2029 line breaks never in one line), or None."""
    for ch in text:
        if ch in _ALWAYS_ALLOWED or (multiline and ch in _MULTILINE_ALLOWED):
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs") or (not multiline and category in ("Zl", "Zp")):
            return ch
    return None


def code_point(ch: str) -> str:
    """How a refused character is named in messages: U+0007."""
    return f"U+{ord(ch):04X}"


def field_label(field: str) -> str:
    """A field's name as people read it (`text.field.<field>`)."""
    return workflow_texts.text(f"text.field.{field}")


def check_characters(text: str, *, field: str, multiline: bool = False) -> str:
    """`text` unchanged, or `InvalidInput` naming the field and the refused character."""
    bad = forbidden_character(text, multiline=multiline)
    if bad is not None:
        key = "text.newline" if bad in _LINE_BREAKS and not multiline else "text.control"
        raise InvalidInput(key, field=field_label(field), code=code_point(bad))
    return text


def clean_text(value: str | None, *, field: str, limit: int, multiline: bool = False) -> str:
    """`value` trimmed and NFC-normalised (CRLF read as a newline), checked by
    `check_characters`, at most `limit` characters: else `InvalidInput`."""
    text = unicodedata.normalize("NFC", (value or "").replace("\r\n", "\n")).strip()
    check_characters(text, field=field, multiline=multiline)
    if len(text) > limit:
        raise InvalidInput("text.too_long", field=field_label(field), limit=limit, n=len(text))
    return text


def clean_name(value: str | None, *, field: str, limit: int = NAME_MAX) -> str:
    """A one-line name: `clean_text` without newlines."""
    return clean_text(value, field=field, limit=limit)


def clean_note(value: str | None, *, field: str, limit: int = NOTE_MAX) -> str:
    """A multi-line note or reason: `clean_text` with newlines and tabs."""
    return clean_text(value, field=field, limit=limit, multiline=True)
