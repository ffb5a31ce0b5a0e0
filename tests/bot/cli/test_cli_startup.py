"""Starting `safecomm` stays cheap: the CLI imports the heavy libraries only in the
command that needs them (see `bot.cli`). Checked in fresh interpreters, by what they
have imported rather than by timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.cli import registry as registry_cli
from tests.builders import agency_fields
from workflow.registry import forms

REPO = Path(__file__).resolve().parents[3]

HEAVY_AT_START = (
    "telegram",
    "alembic",
    "openpyxl",
    "sqlalchemy",
    "sqlmodel",
    "matplotlib",
    "pydantic",
    "transitions",
)
"""Not one of these may be imported by `import bot.cli` and building the typer app."""

HEAVY_FOR_A_LISTING = ("telegram", "alembic", "openpyxl", "matplotlib", "numpy", "transitions")
"""Nor these by `safecomm agency list` on a database that is already current."""


def _imported_after(code: str, names: tuple[str, ...], cwd: Path, **env: str) -> list[str]:
    """Which of `names` a fresh interpreter running the worktree's code has imported
    after running `code` (in `cwd`, without the caller's SAFECOMM_* settings)."""
    report = f"print(json.dumps([n for n in {list(names)!r} if n in sys.modules]))"
    probe = "\n".join((code, "import json, sys", report))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SAFECOMM_")}
    environment.update(env, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_importing_the_cli_and_building_its_commands_imports_no_heavy_library(
    tmp_path: Path,
) -> None:
    code = "import bot.cli, typer.main\ntyper.main.get_command(bot.cli.app)"
    found = _imported_after(code, HEAVY_AT_START, tmp_path)
    assert found == [], f"imported by `import bot.cli`: {', '.join(found)}"


def test_listing_agencies_on_a_current_database_imports_neither_the_bot_nor_alembic(
    engine: Engine, tmp_path: Path
) -> None:
    code = "from bot.cli import main\nassert main(['agency', 'list']) == 0"
    url = engine.url.render_as_string(hide_password=False)
    found = _imported_after(code, HEAVY_FOR_A_LISTING, tmp_path, SAFECOMM_DATABASE_URL=url)
    assert found == [], f"imported by `safecomm agency list`: {', '.join(found)}"


def test_the_lists_written_out_for_the_help_texts_equal_the_domains() -> None:
    agency_fields = forms.AGENCY_FORM + forms.AGENCY_FACTS
    assert [(f.name, f.required) for f in agency_fields] == list(registry_cli.AGENCY_OPTIONS)
    consultant_fields = [(f.name, f.required) for f in forms.CONSULTANT_FORM]
    assert consultant_fields == list(registry_cli.CONSULTANT_OPTIONS)
    for form, fields in (("agency", agency_fields), ("consultant", forms.CONSULTANT_FORM)):
        for field in fields:
            for language in ("zh", "en"):
                shown = registry_cli._label(form, field.name, language)
                assert shown == forms.label(form, field.name, language)


def test_registering_an_agency_in_a_fresh_process_on_a_current_database(
    engine: Engine, tmp_path: Path
) -> None:
    """The CLI imports only what a command uses: `agency add` must still find every
    table its rows point to (an application names its round)."""
    fields = {k: v.isoformat() if isinstance(v, date) else v for k, v in agency_fields().items()}
    form = tmp_path / "agency.json"
    form.write_text(json.dumps(fields, ensure_ascii=False), encoding="utf-8")
    code = (
        "from bot.cli import main\n"
        f"assert main(['agency', 'add', '--from-json', {str(form)!r}]) == 0\n"
        "assert main(['agency', 'materials', '1', '--set', 'business_licence=是']) == 0"
    )
    url = engine.url.render_as_string(hide_password=False)
    assert _imported_after(code, (), tmp_path, SAFECOMM_DATABASE_URL=url) == []
