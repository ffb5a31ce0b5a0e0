"""`create_app(settings, engine)`: the web pages as one ASGI application.

The same settings and engine as the bot; its database work runs on its own worker
threads (`bot.blocking`), never on the event loop. Each area of the site is one
router module: sign-in (`signin`), the survey (`survey`), agencies (`agency`),
admins and experts (`staff`) and the public pages (`public`).
"""

from __future__ import annotations

from concurrent.futures import Executor

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.middleware.sessions import SessionMiddleware

from bot.blocking import new_executor
from bot.web import agency, public, signin, staff, survey
from bot.web.errors import foreign_form, install_error_pages
from bot.web.pages import HERE
from bot.web.security import SecurityMiddleware, origin_of
from workflow.core.settings import Settings, SettingsError

SESSION_COOKIE = "safecomm_session"


def create_app(settings: Settings, engine: Engine, *, executor: Executor | None = None) -> FastAPI:
    """The application; refuses to start without a session secret (it signs every
    session, so pages that need a sign-in cannot work without it)."""
    if settings.session_secret is None:
        raise SettingsError(
            "SAFECOMM_SESSION_SECRET: required to serve the web pages"
            " (at least 32 characters, e.g. the output of: openssl rand -hex 32)"
        )
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.executor = executor or new_executor(settings.bot_concurrency)
    install_error_pages(app)
    for module in (signin, survey, agency, staff, public):
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
