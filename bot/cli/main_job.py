"""`safecomm start` (the main job) and `safecomm demo`.

`start` runs the bot when a Telegram token is configured and the offline demo
otherwise, so one command does the useful thing on any machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import settings
from bot.demo.year import run_demo
from bot.telegram.runner import run_bot


def demo(
    out: Annotated[
        Path, typer.Option("--out", help="输出目录（会先清空） / output folder (emptied first)")
    ] = Path("safecomm-demo"),
) -> None:
    """离线演示一整年的工作 / run a whole year offline: no network, no token."""
    run_demo(out, language=settings().language)


def start() -> None:
    """主程序：配置了令牌就运行机器人，否则运行离线演示 / the bot if a token is set, else the demo."""
    current = settings()
    if current.telegram_token is None:
        run_demo(Path("safecomm-demo"), language=current.language)
        return
    raise typer.Exit(run_bot(current))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
    app.command("start")(start)
