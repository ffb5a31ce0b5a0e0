"""`safecomm start`: the bot and the web pages together with a token (never the bot
without its pages), the offline demo and how to serve the pages without one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.bot.conftest import Cli
from tests.e2e.botapi import BotAPIServer
from tests.e2e.test_survey_e2e import REPO, TOKEN
from tests.web.conftest import SECRET
from workflow.core.settings import get_settings


def test_start_with_a_token_and_no_session_secret_refuses_to_run_the_bot_alone(
    db: Engine, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFECOMM_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.delenv("SAFECOMM_SESSION_SECRET", raising=False)
    get_settings.cache_clear()
    code, out, err = cli("start")
    assert code == 2 and out == ""
    assert err.startswith("未设置 SAFECOMM_SESSION_SECRET：safecomm start 同时运行机器人和网页")
    assert "openssl rand -hex 32" in err and "safecomm bot" in err


def test_start_without_a_token_runs_the_demo_and_says_how_to_serve_the_pages(
    db: Engine, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[Path] = []
    monkeypatch.setattr("bot.demo.year.run_demo", lambda out, language: ran.append(out))
    code, out, _ = cli("start")
    assert code == 0 and ran == [Path("safecomm-demo")]
    assert "未配置 Telegram 机器人令牌，以上是离线演示" in out
    assert "safecomm web" in out and "docs/deploy.md" in out


def test_a_busy_bind_address_stops_the_bot_too_with_one_line(tmp_path: Path) -> None:
    api = BotAPIServer(TOKEN)
    base_url = api.start()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAFECOMM_")}
        env.update(
            PYTHONPATH=str(REPO),
            SAFECOMM_TELEGRAM_TOKEN=TOKEN,
            SAFECOMM_TELEGRAM_BASE_URL=base_url,
            SAFECOMM_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
            SAFECOMM_SESSION_SECRET=SECRET,
            SAFECOMM_WEB_BIND=f"127.0.0.1:{port}",
        )
        try:
            done = subprocess.run(
                [sys.executable, "-c", "from bot.cli import run; run()", "start"],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                timeout=120,
                check=False,
            )
        finally:
            api.stop()
    assert done.returncode == 1
    last = done.stderr.decode().strip().splitlines()[-1]
    assert (
        last
        == f"无法在 127.0.0.1:{port} 上提供网页服务（地址已被占用或无权使用）：请检查 SAFECOMM_WEB_BIND。"
    )
    assert "Application.stop() complete" in done.stderr.decode()  # the bot shut down cleanly
    assert TOKEN.split(":")[1] not in done.stderr.decode() + done.stdout.decode()
