"""The CLI as an admin runs it, in-process: `db` points it at the test database, `cli` runs it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.cli import main
from workflow.core.settings import get_settings

Cli = Callable[..., tuple[int, str, str]]
"""`cli("agency", "list")` → (exit code, stdout, stderr) of `safecomm agency list`."""


def _pointed_at(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("SAFECOMM_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SAFECOMM_OPERATOR", "王管理")
    monkeypatch.setenv("SAFECOMM_BOT_USERNAME", "bjsafety_bot")
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


@pytest.fixture
def db(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The CLI pointed at the test database, as operator 王管理, links for @bjsafety_bot."""
    yield from _pointed_at(engine, monkeypatch)


@pytest.fixture
def any_db(any_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """`db` on SQLite and on PostgreSQL."""
    yield from _pointed_at(any_engine, monkeypatch)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Runs `safecomm …` with the arguments given; only that run's output is returned."""

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run
