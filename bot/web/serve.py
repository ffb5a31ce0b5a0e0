"""Serving the web pages: `safecomm web` (the pages alone) and `safecomm start` with a
token (the bot and the pages in one process, one event loop).

uvicorn listens on `SAFECOMM_WEB_BIND` with `proxy_headers`, trusting the
`X-Forwarded-For`/`-Proto` headers only from nginx on the same machine
(`TRUSTED_PROXY`, docs/deploy.md). Together with the bot, uvicorn's `serve()` runs as
a task beside PTB's polling (`bot.telegram.runner.polling`); SIGINT and SIGTERM are
the process's, not uvicorn's: both stop the pages and then the bot. The bot never
starts without its web pages: with a token but no session secret, `start` refuses
(exit 2) — `safecomm bot` runs the bot alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from workflow.core.settings import Settings

TRUSTED_PROXY = "127.0.0.1"
"""Whose forwarded headers count: nginx on the same machine (uvicorn's default too)."""
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def listening(settings: Settings) -> dict[str, Any]:
    """uvicorn on the bind address, behind nginx, logging through the root logger."""
    host, port = settings.bind_host_port
    return {
        "host": host,
        "port": port,
        "proxy_headers": True,
        "forwarded_allow_ips": TRUSTED_PROXY,
        "log_config": None,
    }


def web_config(settings: Settings, app: FastAPI) -> uvicorn.Config:
    return uvicorn.Config(app, **listening(settings))


def _secret_missing(settings: Settings, key: str = "web.cli.no_secret") -> bool:
    from bot.texts import bot_texts

    if settings.session_secret is None:
        print(bot_texts.text(key, settings.language), file=sys.stderr)
        return True
    return False


def run_web(settings: Settings) -> int:
    """Serve on the bind address; the exit code (2 without a session secret)."""
    from bot.web.app import create_app
    from bot.web.logs import install_web_log_filters
    from migrations import ensure_schema
    from workflow.core.db import bot_engine
    from workflow.core.privacy import install_log_redaction

    if _secret_missing(settings):
        return 2
    install_log_redaction()
    engine = bot_engine(settings)
    ensure_schema(engine)
    try:
        server = uvicorn.Server(web_config(settings, create_app(settings, engine)))
        install_web_log_filters()
        server.run()
    finally:
        engine.dispose()
    return 0 if server.started else 1


def run_bot_and_web(settings: Settings) -> int:
    """The bot (long polling) and the web pages in one process until SIGINT or SIGTERM;
    the exit code: 0 stopped cleanly, 1 the Bot API unreachable or the bind address
    unusable, 2 no token, no session secret or a rejected token. In webhook mode,
    `run_webhook_workers` instead."""
    from telegram.error import TelegramError

    from bot.telegram.runner import hide_secrets, start_failure
    from bot.texts import bot_texts, warn_without_help_contact
    from bot.web.logs import install_web_log_filters
    from migrations import ensure_schema
    from workflow.core.db import bot_engine

    if settings.telegram_token is None:
        print(bot_texts.text("runner.no_token", settings.language), file=sys.stderr)
        return 2
    if _secret_missing(settings, "serve.no_secret"):
        return 2
    warn_without_help_contact(settings)
    token = settings.telegram_token.get_secret_value()
    hide_secrets(token)
    install_web_log_filters()
    engine = bot_engine(settings)
    ensure_schema(engine)
    if settings.telegram_mode == "webhook":
        engine.dispose()
        return run_webhook_workers(settings)
    try:
        served = asyncio.run(_bot_and_web(settings, engine))
    except TelegramError as error:
        return start_failure(error, settings, token)
    finally:
        engine.dispose()
    if not served:
        print(
            bot_texts.text("serve.bind_failed", settings.language, bind=settings.web_bind),
            file=sys.stderr,
        )
        return 1
    return 0


def run_webhook_workers(settings: Settings) -> int:
    """Webhook mode: `SAFECOMM_WEB_WORKERS` uvicorn workers on the bind address, each
    with the bot and the pages (`bot.web.asgi.create`), until SIGINT or SIGTERM."""
    uvicorn.run(  # exits with code 3 when it cannot listen
        "bot.web.asgi:create", factory=True, workers=settings.web_workers, **listening(settings)
    )
    return 0


class SharedLoopServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the process's SIGINT/SIGTERM stop the
    pages and the bot together (uvicorn's would re-raise the signal once it stopped)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve(server: uvicorn.Server) -> bool:
    """Whether the pages were served: uvicorn exits the process (SystemExit) when it
    cannot listen, which must not escape a task and break the loop the bot runs in."""
    try:
        await server.serve()
    except SystemExit:
        return False
    return server.started


async def _bot_and_web(settings: Settings, engine: Engine) -> bool:
    """Start the bot, then the pages; wait for a stop signal (or the pages failing);
    stop the pages, then the bot. Whether the pages were served."""
    from bot.telegram.app import build_application
    from bot.telegram.context import EXECUTOR
    from bot.telegram.runner import polling
    from bot.web.app import create_app

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for stop_signal in STOP_SIGNALS:
        loop.add_signal_handler(stop_signal, stop.set)
    try:
        bot = build_application(settings, engine)
        async with polling(bot):
            # one pool of worker threads for chat and pages, sized to the engine's pool
            app = create_app(settings, engine, executor=bot.bot_data[EXECUTOR])
            server = SharedLoopServer(web_config(settings, app))
            pages = asyncio.create_task(_serve(server))
            stopped = asyncio.create_task(stop.wait())
            await asyncio.wait({pages, stopped}, return_when=asyncio.FIRST_COMPLETED)
            server.should_exit = True
            stopped.cancel()
            return await pages
    finally:
        for stop_signal in STOP_SIGNALS:
            loop.remove_signal_handler(stop_signal)
