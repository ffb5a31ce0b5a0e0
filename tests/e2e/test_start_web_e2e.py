"""End to end: `safecomm start` with a token runs the bot and the web pages in one
process. Against the local Bot API server, one child process answers a chat message
and serves a page that reads the database, then stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.botapi import BotAPIServer
from tests.e2e.test_survey_e2e import REPO, TOKEN
from tests.web.conftest import SECRET

pytestmark = pytest.mark.e2e
USER = 1201


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _get(url: str, deadline: float) -> httpx.Response:
    """GET `url` once the server listens (bounded by `deadline`)."""
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_start_with_a_token_answers_the_chat_and_serves_the_pages(tmp_path: Path) -> None:
    api = BotAPIServer(TOKEN)
    base_url = api.start()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFECOMM_")}
    env.update(
        PYTHONPATH=str(REPO),
        SAFECOMM_TELEGRAM_TOKEN=TOKEN,
        SAFECOMM_TELEGRAM_BASE_URL=base_url,
        SAFECOMM_DATABASE_URL=f"sqlite:///{tmp_path / 'start.db'}",
        SAFECOMM_SESSION_SECRET=SECRET,
        SAFECOMM_WEB_BIND=f"127.0.0.1:{port}",
        SAFECOMM_WEB_BASE_URL=f"http://127.0.0.1:{port}",
    )
    log = tmp_path / "start.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import run; run()", "start"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        api.wait_for(lambda: api.polls > 0 or process.poll() is not None, 60)
        assert process.poll() is None, log.read_text(errors="replace")

        page = _get(f"http://127.0.0.1:{port}/public/register", time.monotonic() + 20)
        assert page.status_code == 200 and "目前名录中没有机构。" in page.text
        assert page.headers["cache-control"] == "no-store"

        api.send_text(USER, "/start")
        api.wait_for(lambda: len(api.messages(USER)) > 0)
        assert api.last_message(USER)["text"].startswith("您好！这里是北京市安全文化促进会")

        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, log.read_text(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        api.stop()
    output = log.read_text(encoding="utf-8", errors="replace")
    assert TOKEN.split(":")[1] not in output
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)  # the pages stopped with the bot
