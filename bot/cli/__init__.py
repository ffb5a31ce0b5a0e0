"""The `safecomm` command line: everything an admin does in bulk.

Each topic module adds its commands in `register(app)`. `main` turns every
refusal (`DomainError`), bad setting and usage error into one clear line on
stderr and a non-zero exit code; nothing else is printed on failure.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer
from sqlalchemy.exc import OperationalError

from bot.cli import assessment, database, lifecycle, main_job, registry, reminders, surveys
from bot.texts import bot_texts
from workflow.core.db import unavailable
from workflow.core.errors import DomainError
from workflow.core.i18n import current_language
from workflow.core.settings import SettingsError

app = typer.Typer(
    name="safecomm",
    help="北京市安全文化促进会 咨询服务机构自律管理 / safe-community agency management",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_ERROR_PREFIX = {"zh": "错误：", "en": "error: "}

for module in (main_job, database, registry, lifecycle, assessment, surveys, reminders):
    module.register(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 refused, 2 usage or settings)."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="safecomm")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    except DomainError as error:
        print(f"{_ERROR_PREFIX[current_language()]}{error}", file=sys.stderr)
        return 1
    except OperationalError as error:
        print(f"{_ERROR_PREFIX[current_language()]}{unavailable(error)}", file=sys.stderr)
        return 1
    except OSError as error:  # a file that cannot be read or written
        reason = error.strerror or type(error).__name__
        text = bot_texts.text("cli.file_error", None, path=error.filename or "", reason=reason)
        print(f"{_ERROR_PREFIX[current_language()]}{text}", file=sys.stderr)
        return 1
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
