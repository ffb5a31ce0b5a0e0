"""The `safecomm` command line: everything an admin does in bulk.

Each topic module adds its commands in `register(app)`. `main` turns every
refusal (`DomainError`), bad setting and usage error into one clear line on
stderr and a non-zero exit code; nothing else is printed on failure.

Starting must stay cheap: the topic modules import only `typer` and the
standard library at module level, and each command imports the domain code,
the database layer and the bot when it runs (`tests/bot/cli/test_cli_startup.py`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from bot.cli import (
    assessment,
    database,
    evidence,
    guidance,
    lifecycle,
    main_job,
    registry,
    reminders,
    surveys,
    web,
    workers,
)

app = typer.Typer(
    name="safecomm",
    help="北京市安全文化促进会 咨询服务机构自律管理 / safe-community agency management",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_ERROR_PREFIX = {"zh": "错误：", "en": "error: "}

for module in (
    main_job,
    database,
    registry,
    lifecycle,
    assessment,
    surveys,
    guidance,
    reminders,
    evidence,
    web,
    workers,
):
    module.register(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 refused, 2 usage or settings)."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="safecomm")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except Exception as error:
        code = _report(error)
        if code is None:
            raise
        return code
    return 0


def _report(error: Exception) -> int | None:
    """Print `error` as one line on stderr and return the exit code, or None if it is a bug.

    The error types are imported here, not at start-up: a command that raised one of
    them has imported its module already, and one that did not pays nothing."""
    from sqlalchemy.exc import OperationalError

    from bot.texts import bot_texts
    from workflow.core.db import unavailable
    from workflow.core.errors import DomainError
    from workflow.core.i18n import current_language
    from workflow.core.settings import SettingsError

    if isinstance(error, SettingsError):
        print(error, file=sys.stderr)
        return 2
    if isinstance(error, DomainError):
        print(f"{_ERROR_PREFIX[current_language()]}{error}", file=sys.stderr)
        return 1
    if isinstance(error, OperationalError):
        print(f"{_ERROR_PREFIX[current_language()]}{unavailable(error)}", file=sys.stderr)
        return 1
    if isinstance(error, OSError):  # a file that cannot be read or written
        reason = error.strerror or type(error).__name__
        text = bot_texts.text("cli.file_error", None, path=error.filename or "", reason=reason)
        print(f"{_ERROR_PREFIX[current_language()]}{text}", file=sys.stderr)
        return 1
    return None


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
