"""`safecomm leader`, `safecomm webhook set|info|delete` against the local Bot API
server over real HTTP, and `remind send` refusing while another process leads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from tests.bot.conftest import Cli
from tests.e2e.botapi import BotAPIServer
from tests.e2e.workers import SECRET, TOKEN
from workflow.core.leader import Leadership
from workflow.core.settings import get_settings


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[BotAPIServer]:
    server = BotAPIServer(TOKEN)
    monkeypatch.setenv("SAFECOMM_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("SAFECOMM_TELEGRAM_BASE_URL", server.start())
    monkeypatch.setenv("SAFECOMM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("SAFECOMM_WEB_BASE_URL", "https://safecomm.example.cn")
    get_settings.cache_clear()
    yield server
    server.stop()
    get_settings.cache_clear()


def test_webhook_set_info_and_delete(db: Engine, cli: Cli, api: BotAPIServer) -> None:
    code, out, _ = cli("webhook", "info")
    assert code == 0 and "没有设置网络钩子" in out

    code, out, _ = cli("webhook", "set")
    path = get_settings().webhook_path
    assert code == 0 and f"https://safecomm.example.cn{path}" in out
    assert "SAFECOMM_TELEGRAM_MODE=webhook" in out  # still polling: the hint
    assert api.webhook["url"] == f"https://safecomm.example.cn{path}"
    assert api.webhook["secret_token"] == SECRET and SECRET not in out

    code, out, _ = cli("webhook", "info")
    assert code == 0 and path in out and "注意" not in out

    code, out, _ = cli("webhook", "delete")
    assert code == 0 and "已停用网络钩子" in out and api.webhook == {}
    assert TOKEN.split(":")[1] not in out


def test_webhook_set_needs_the_site_address_and_the_secret(
    db: Engine, cli: Cli, api: BotAPIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAFECOMM_WEB_BASE_URL")
    get_settings.cache_clear()
    code, _, err = cli("webhook", "set")
    assert code == 2 and "SAFECOMM_WEB_BASE_URL" in err
    monkeypatch.setenv("SAFECOMM_WEB_BASE_URL", "https://safecomm.example.cn")
    monkeypatch.delenv("SAFECOMM_WEBHOOK_SECRET")
    get_settings.cache_clear()
    code, _, err = cli("webhook", "set")
    assert code == 2 and "SAFECOMM_WEBHOOK_SECRET" in err
    assert api.webhook == {}


def test_a_webhook_secret_telegram_would_refuse_is_refused_at_start(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFECOMM_WEBHOOK_SECRET", "short")
    get_settings.cache_clear()
    code, _, err = cli("leader")
    assert code == 2 and "SAFECOMM_WEBHOOK_SECRET" in err and "32" in err
    monkeypatch.delenv("SAFECOMM_WEBHOOK_SECRET")
    monkeypatch.setenv("SAFECOMM_TELEGRAM_MODE", "webhook")
    get_settings.cache_clear()
    code, _, err = cli("leader")
    assert code == 2 and "SAFECOMM_WEBHOOK_SECRET" in err
    get_settings.cache_clear()


def test_leader_names_the_process_that_leads(any_db: Engine, cli: Cli) -> None:
    code, out, _ = cli("leader")
    assert code == 0 and "当前没有主进程" in out
    other = Leadership(any_db, name="worker-2:4242")
    assert other.try_acquire()
    try:
        code, out, _ = cli("leader")
        assert code == 0 and "safecomm-leader worker-2:4242" in out
    finally:
        other.release()


def test_remind_send_sends_nothing_while_another_process_leads(
    any_db: Engine, cli: Cli, api: BotAPIServer
) -> None:
    other = Leadership(any_db, name="bot-host:77")
    assert other.try_acquire()
    try:
        code, _, err = cli("remind", "send")
    finally:
        other.release()
    assert code == 1 and "另一个进程是主进程" in err and "bot-host:77" in err
    assert [method for method, _ in api.calls if method == "sendMessage"] == []


def test_the_polling_bot_refuses_to_start_in_webhook_mode(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram refuses getUpdates while a webhook is set: `safecomm start` serves it."""
    monkeypatch.setenv("SAFECOMM_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("SAFECOMM_TELEGRAM_MODE", "webhook")
    monkeypatch.setenv("SAFECOMM_WEBHOOK_SECRET", SECRET)
    get_settings.cache_clear()
    code, _, err = cli("bot")
    get_settings.cache_clear()
    assert code == 2 and "safecomm start" in err and err.count("\n") == 1
