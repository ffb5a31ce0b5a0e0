"""Alembic migrations and the functions that run them.

`upgrade(engine)` brings any database (SQLite or PostgreSQL) to the newest
schema; `safecomm db upgrade` calls it, and so does every start on an empty
database. The tables come from `workflow.core.tables.metadata()`.

Alembic is imported only when it is needed: `ensure_schema` on a database that is
already current reads the revision with plain SQL and compares it with
`HEAD_REVISION`, so starting a command costs no Alembic import.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Engine

HEAD_REVISION = "0018_workers"
"""The newest revision in `migrations/versions` (a test keeps it equal to `head_revision()`):
update it with every new migration."""

VERSION_TABLE = "alembic_version"
"""Alembic's default table holding the database's revision."""


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to `revision` (default: the newest)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


# pg_advisory_lock key: "safecomm" in ASCII, so two bots starting at once migrate in turn
MIGRATION_LOCK = 0x73616665636F6D6D


def ensure_schema(engine: Engine) -> bool:
    """Upgrade if the database is behind; return True if anything was applied.

    On PostgreSQL several bot processes may start at the same moment: a
    session-level advisory lock makes them migrate one after another, and the
    later ones find the schema current."""
    if engine.dialect.name != "postgresql":
        return _upgrade_if_behind(engine)
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        lock.commit()
        try:
            return _upgrade_if_behind(engine)
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            lock.commit()


def is_current(engine: Engine) -> bool:
    """Whether the database stands at `HEAD_REVISION`, read without Alembic.

    No version table means an empty database; anything but exactly one row naming
    the head (older, unknown, several heads) is left to Alembic to sort out."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return False
        found = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
        return list(found) == [HEAD_REVISION]


def _upgrade_if_behind(engine: Engine) -> bool:
    if is_current(engine):
        return False
    upgrade(engine)
    return True
