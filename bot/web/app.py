"""`create_app(settings, engine)`: the web pages as one ASGI application.

The same settings and engine as the bot; its database work runs on its own worker
threads (`bot.blocking`), never on the event loop. Each area of the site is one
router module: sign-in (`signin`), the survey (`survey`), agencies (`agency`),
admins and experts (`staff`) and the public pages (`public`). In webhook mode the
app also owns the bot (`bot`): it starts and stops with the app, and `webhook`
hands it the updates Telegram posts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.middleware.sessions import SessionMiddleware

from bot.blocking import new_executor
from bot.web import agency, public, signin, staff, survey, webhook
from bot.web.errors import foreign_form, install_error_pages
from bot.web.pages import HERE
from bot.web.security import SecurityMiddleware, origin_of
from workflow.core.settings import Settings, SettingsError

SESSION_COOKIE = "safecomm_session"


def create_app(
    settings: Settings, engine: Engine, *, executor: Executor | None = None, bot: Any = None
) -> FastAPI:
    """The application; refuses to start without a session secret (it signs every
    session, so pages that need a sign-in cannot work without it). With `bot` (a
    webhook-mode `Application`) the bot serves while the app does."""
    if settings.session_secret is None:
        raise SettingsError(
            "SAFECOMM_SESSION_SECRET: required to serve the web pages"
            " (at least 32 characters, e.g. the output of: openssl rand -hex 32)"
        )
    app = FastAPI(
        docs_url=None, redoc_url=None, openapi_url=None, lifespan=_with_bot(bot) if bot else None
    )
    app.state.settings = settings
    app.state.bot = bot
    app.state.engine = engine
    app.state.executor = executor or new_executor(settings.bot_concurrency)
    install_error_pages(app)
    for module in (signin, survey, agency, staff, public, webhook):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret.get_secret_value(),
        session_cookie=SESSION_COOKIE,
        max_age=settings.web_session_hours * 3600,
        same_site="lax",
        https_only=settings.serves_https,
    )
    app.add_middleware(
        SecurityMiddleware, public_origin=origin_of(settings.public_url), refused=foreign_form
    )
    return app


def _with_bot(bot: Any) -> Any:
    """The lifespan that runs `bot` (no updater) while the app serves."""
    from bot.telegram.runner import serving

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with serving(bot):
            yield

    return lifespan
