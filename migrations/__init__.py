"""Alembic migrations and the functions that run them.

`upgrade(engine)` brings any database (SQLite or PostgreSQL) to the newest
schema; `safecomm db upgrade` calls it, and so does every start on an empty
database. `all_tables()` imports every table module, so `SQLModel.metadata` is
complete for autogenerate and for the schema check in the tests.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

TABLE_MODULES = (
    "workflow.models",
    "workflow.audit",
    "workflow.roles",
    "workflow.assessment.sheets",
    "surveys.models",
    "workflow.outbox",
    "workflow.contacts",
)


def all_tables() -> type[SQLModel]:
    """Import every module that defines tables; return SQLModel (its metadata is complete)."""
    for name in TABLE_MODULES:
        importlib.import_module(name)
    return SQLModel


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


def ensure_schema(engine: Engine) -> bool:
    """Upgrade if the database is behind; return True if anything was applied."""
    if current_revision(engine) == head_revision():
        return False
    upgrade(engine)
    return True
