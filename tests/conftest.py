"""Shared fixtures: a migrated database on SQLite and on a real PostgreSQL.

Migrations run once per backend into a template (a SQLite file copied per test,
a PostgreSQL template database cloned per test), so each test starts from a
fresh, fully migrated schema quickly.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from migrations import upgrade
from tests.pg import PostgresServer, binaries_missing, start_server
from workflow.core.db import make_engine
from workflow.core.i18n import set_help_contact, set_language
from workflow.core.settings import Settings, get_settings, load_settings


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's environment or `.env`; Chinese by default, no help
    contact set."""
    for name in list(os.environ):
        if name.startswith("SAFECOMM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    set_language("zh")
    set_help_contact("", "")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(database_url=f"sqlite:///{tmp_path / 'safecomm.db'}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    missing = binaries_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"PostgreSQL binary {missing!r} is missing; CI must run the PostgreSQL tests"
            )
        pytest.skip(f"PostgreSQL binary {missing!r} not on PATH: PostgreSQL tests skipped")
    server = start_server()
    try:
        server.execute("CREATE DATABASE safecomm_template")
        template_engine = make_engine(server.url("safecomm_template"))
        upgrade(template_engine)
        template_engine.dispose()
        yield server
    finally:  # even when the template fails to migrate: no server or directory left behind
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _sqlite_engine(template: Path, directory: Path) -> Engine:
    path = directory / "safecomm.db"
    shutil.copy(template, path)
    return make_engine(f"sqlite:///{path}")


def _pg_engine(server: PostgresServer) -> Iterator[Engine]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    server.execute(f"CREATE DATABASE {name} TEMPLATE safecomm_template")
    engine = make_engine(server.url(name))
    yield engine
    engine.dispose()
    server.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite file database (the default for tests that are not about storage)."""
    engine = _sqlite_engine(sqlite_template, tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_engine(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> Iterator[Engine]:
    """A migrated database on each backend: storage tests run on both."""
    if request.param == "sqlite":
        engine = _sqlite_engine(sqlite_template, tmp_path)
        yield engine
        engine.dispose()
    else:
        yield from _pg_engine(request.getfixturevalue("pg_server"))


@pytest.fixture
def pg_engine(pg_server: PostgresServer) -> Iterator[Engine]:
    """A migrated PostgreSQL database, for tests that need two real connections."""
    yield from _pg_engine(pg_server)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
