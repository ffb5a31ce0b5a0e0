"""`safecomm db …`: schema migrations."""

from __future__ import annotations

import typer

from bot.cli.common import settings
from bot.texts import bot_texts

db = typer.Typer(help="数据库 / database schema", no_args_is_help=True)


@db.command("upgrade")
def db_upgrade() -> None:
    """升级数据库结构到最新版本（首次启动时也会自动执行） / apply pending migrations."""
    from migrations import current_revision, upgrade
    from workflow.core.db import make_engine, safe_url

    engine = make_engine(settings().database_url)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    if before == after:
        print(bot_texts.text("cli.db_up_to_date", None, url=safe_url(engine), revision=after))
    else:
        empty = bot_texts.text("cli.db_empty")
        print(
            bot_texts.text(
                "cli.db_upgraded", None, url=safe_url(engine), before=before or empty, after=after
            )
        )


@db.command("status")
def db_status() -> None:
    """显示数据库与程序的结构版本 / show the schema revision of the database and the code."""
    from migrations import current_revision, head_revision
    from workflow.core.db import make_engine, safe_url

    engine = make_engine(settings().database_url)
    current = current_revision(engine) or bot_texts.text("cli.db_empty")
    print(
        bot_texts.text(
            "cli.db_status", None, url=safe_url(engine), current=current, head=head_revision()
        )
    )


def register(app: typer.Typer) -> None:
    app.add_typer(db, name="db")
