"""`safecomm db …`: schema migrations."""

from __future__ import annotations

import typer

from bot.cli.common import settings
from migrations import current_revision, head_revision, upgrade
from workflow.db import make_engine, safe_url

db = typer.Typer(help="数据库 / database schema", no_args_is_help=True)


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (also done automatically on first start)."""
    engine = make_engine(settings().database_url)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    state = "已是最新" if before == after else f"{before or '空库'} → {after}"
    print(f"数据库 {safe_url(engine)}：{state}")


@db.command("status")
def db_status() -> None:
    """Show the schema revision of the database and of the code."""
    engine = make_engine(settings().database_url)
    print(f"database: {current_revision(engine) or '(empty)'}  code: {head_revision()}")


def register(app: typer.Typer) -> None:
    app.add_typer(db, name="db")
