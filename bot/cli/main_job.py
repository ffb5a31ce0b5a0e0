"""`safecomm start` (the main job), `safecomm demo` and `safecomm bot`.

`start` runs the bot when a Telegram token is configured and the offline demo
otherwise, so one command does the useful thing on any machine; `bot` runs the
bot only (long polling).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import settings


def demo(
    out: Annotated[
        Path, typer.Option("--out", help="输出目录（会先清空） / output folder (emptied first)")
    ] = Path("safecomm-demo"),
) -> None:
    """离线演示一整年的工作 / run a whole year offline: no network, no token."""
    from bot.demo.year import run_demo

    run_demo(out, language=settings().language)


def start() -> None:
    """主程序：配置了令牌就运行机器人，否则运行离线演示 / the bot if a token is set, else the demo."""
    current = settings()
    if current.telegram_token is None:
        from bot.demo.year import run_demo

        run_demo(Path("safecomm-demo"), language=current.language)
        return
    from bot.telegram.runner import run_bot

    raise typer.Exit(run_bot(current))


def bot_command() -> None:
    """运行 Telegram 机器人，直到 Ctrl+C 或 SIGTERM / run the Telegram bot (long polling)."""
    from bot.telegram.runner import run_bot

    raise SystemExit(run_bot(settings()))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
    app.command("start")(start)
    app.command("bot")(bot_command)
