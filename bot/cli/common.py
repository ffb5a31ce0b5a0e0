"""What every CLI command shares: settings, the engine, the acting operator, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from workflow.core.settings import Settings
    from workflow.lifecycle.models import AuditEntry


def settings() -> Settings:
    """The settings, with the language and the help contact applied (raises SettingsError
    on a bad value)."""
    from workflow.core.i18n import set_help_contact, set_language
    from workflow.core.settings import get_settings

    current = get_settings()
    set_language(current.language)
    set_help_contact(current.help_phone, current.help_email)
    return current


def open_engine() -> Engine:
    """The configured database, migrated to the newest schema on first start."""
    import logging

    from migrations import ensure_schema
    from workflow.core.db import make_engine
    from workflow.core.privacy import install_log_redaction

    install_log_redaction()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    engine = make_engine(settings().database_url)
    ensure_schema(engine)
    return engine


def operator() -> str:
    """Who is acting at this terminal: SAFECOMM_OPERATOR, else the login name."""
    import getpass

    return settings().operator or getpass.getuser()


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain aligned table (CJK characters count as two columns)."""

    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)

    cells = [[str(h) for h in headers]] + [
        ["" if c is None else str(c) for c in row] for row in rows
    ]
    widths = [max(width(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        print(
            "  ".join(cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(row)).rstrip()
        )
        if index == 0:
            print("  ".join("-" * w for w in widths))


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line on stderr and stop with `code`."""
    print(message, file=sys.stderr)
    raise SystemExit(code)


def keep_register(engine: Engine, entries: Sequence[AuditEntry]) -> None:
    """After a command's commit: write the current register into SAFECOMM_REGISTER_DIR
    again if the command moved an agency onto it or off it (Art. 6), and say so."""
    from workflow.registry.register import after_commit

    done = after_commit(engine, entries, settings())
    if done is not None:
        print(done.message(), file=sys.stderr if done.error else sys.stdout)
