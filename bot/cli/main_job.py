"""`safecomm start` (the main job), `safecomm demo` and `safecomm bot`.

`start` runs the bot and the web pages together (one process, one event loop) when a
Telegram token is configured, and the offline demo otherwise (then it says how to
serve the pages), so one command does the useful thing on any machine. With a token
but no session secret it refuses (exit 2) rather than start the bot without its
pages; `bot` runs the bot only (long polling), `web` the pages only.
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
    """主程序：配置了令牌就同时运行机器人和网页，否则运行离线演示 / the bot and the web
    pages if a token is set, else the demo."""
    current = settings()
    if current.telegram_token is None:
        from bot.demo.year import run_demo
        from bot.texts import bot_texts

        run_demo(Path("safecomm-demo"), language=current.language)
        print(bot_texts.text("serve.web_hint", current.language))
        return
    from bot.web.serve import run_bot_and_web

    raise typer.Exit(run_bot_and_web(current))


def bot_command() -> None:
    """运行 Telegram 机器人，直到 Ctrl+C 或 SIGTERM / run the Telegram bot (long polling)."""
    from bot.telegram.runner import run_bot

    raise SystemExit(run_bot(settings()))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
    app.command("start")(start)
    app.command("bot")(bot_command)
