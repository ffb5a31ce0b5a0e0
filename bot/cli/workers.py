"""Several processes on one database, at the terminal (docs/deploy.md).

    safecomm leader                  which process leads (runs the scheduler and sends reminders)
    safecomm webhook set             tell Telegram to post updates to this site's webhook
    safecomm webhook info            what Telegram has: the URL, pending updates, the last error
    safecomm webhook delete          stop the webhook (back to polling)

The webhook is `SAFECOMM_WEB_BASE_URL` + `/telegram/<path>` (the path is derived from
`SAFECOMM_WEBHOOK_SECRET`, which Telegram sends back in a header on every post). The
secret and the token never appear in the output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from bot.cli.common import fail, open_engine, settings
from bot.texts import bot_texts

if TYPE_CHECKING:
    from telegram import Bot

    from workflow.core.settings import Settings

webhook_app = typer.Typer(help="Telegram 网络钩子 / the Telegram webhook", no_args_is_help=True)


def _t(key: str, **params: object) -> str:
    return bot_texts.text(f"workers.cli.{key}", settings().language, **params)


def leader() -> None:
    """显示当前主进程 / which process leads: it runs the scheduler and sends reminders."""
    from workflow.core.clock import local_text
    from workflow.core.leader import current_leader

    current = settings()
    found = current_leader(open_engine())
    if found is None:
        print(_t("no_leader"))
        return
    since = local_text(found.since, current.zone) if found.since else _t("unknown")
    print(_t("leader", name=found.name, since=since))


def _webhook_url(current: Settings) -> str:
    if not current.web_base_url:
        fail(_t("no_base_url"), 2)
    return current.web_base_url.rstrip("/") + current.webhook_path


def _call(current: Settings, work: str) -> Any:
    """Run `work` (set, delete or info) against the Bot API; one line if it refuses."""
    import asyncio

    from telegram.error import TelegramError

    from bot.telegram.app import build_application

    if current.telegram_token is None:
        fail(bot_texts.text("reminders.cli.no_token", current.language), 2)
    token = current.telegram_token.get_secret_value()

    async def run() -> Any:
        app = build_application(current, open_engine(), rate_limiter=False)
        async with app:
            return await _WORK[work](app.bot, current)

    try:
        return asyncio.run(run())
    except TelegramError as error:
        fail(_t("refused", reason=str(error).replace(token, "<token>")), 1)


async def _set(bot: Bot, current: Settings) -> bool:
    from telegram import Update

    assert current.webhook_secret is not None  # settings refuse webhook mode without it
    return await bot.set_webhook(
        _webhook_url(current),
        secret_token=current.webhook_secret.get_secret_value(),
        allowed_updates=Update.ALL_TYPES,
        max_connections=40,
    )


async def _delete(bot: Bot, _current: Settings) -> bool:
    return await bot.delete_webhook(drop_pending_updates=False)


async def _info(bot: Bot, _current: Settings) -> Any:
    return await bot.get_webhook_info()


_WORK = {"set": _set, "delete": _delete, "info": _info}


@webhook_app.command("set")
def webhook_set() -> None:
    """让 Telegram 把更新推送到本站 / have Telegram post updates to this site."""
    current = settings()
    if current.webhook_secret is None:
        fail(_t("no_secret"), 2)
    url = _webhook_url(current)
    _call(current, "set")
    print(_t("set", url=url))
    if current.telegram_mode != "webhook":
        print(_t("mode_hint"))


@webhook_app.command("delete")
def webhook_delete() -> None:
    """停用网络钩子（改回轮询）/ stop the webhook (back to polling)."""
    _call(settings(), "delete")
    print(_t("deleted"))


@webhook_app.command("info")
def webhook_info() -> None:
    """Telegram 记录的网络钩子 / what Telegram has: URL, pending updates, last error."""
    current = settings()
    info = _call(current, "info")
    if not info.url:
        print(_t("info_none", pending=info.pending_update_count))
        return
    ours = current.web_base_url and info.url == _webhook_url(current)
    print(_t("info", url=info.url, pending=info.pending_update_count))
    if info.last_error_message:
        print(_t("info_error", error=info.last_error_message))
    if not ours:
        print(_t("info_foreign"))


def register(app: typer.Typer) -> None:
    app.command("leader")(leader)
    app.add_typer(webhook_app, name="webhook")
