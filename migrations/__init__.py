"""Alembic migrations and the functions that run them.

`upgrade(engine)` brings any database (SQLite or PostgreSQL) to the newest
schema; `safecomm db upgrade` calls it, and so does every start on an empty
database. The tables come from `workflow.core.tables.metadata()`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to `revision` (default: the newest)."""
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


def _upgrade_if_behind(engine: Engine) -> bool:
    if current_revision(engine) == head_revision():
        return False
    upgrade(engine)
    return True
