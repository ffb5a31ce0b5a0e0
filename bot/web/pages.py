"""What every page handler shares: the templates, the texts, the unit of work off
the event loop, and the error pages.

Texts come from the bot catalogue (`bot/locales/<lang>/web*.json`) through `t`
in every template, so no page holds a Chinese or English string of its own.
Database work runs in worker threads (`bot.blocking.run_unit`), as in the chat.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from bot.blocking import Work, run_unit
from bot.texts import bot_texts
from workflow.core.i18n import help_contact
from workflow.core.settings import Settings

T = TypeVar("T")
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True
templates.env.auto_reload = False  # no stat() of every template on every page


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def language_of(request: Request) -> str:
    return settings_of(request).language


def text(request: Request, key: str, /, **params: object) -> str:
    """A catalogue text in the configured language."""
    return bot_texts.text(key, language_of(request), **params)


async def unit(request: Request, work: Work[T], *, read_only: bool = False) -> T:
    """`work(session)` as one unit of work in the app's worker threads."""
    state = request.app.state
    return await run_unit(state.engine, work, read_only=read_only, executor=state.executor)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """A page from `templates/<template>` with `t`, the language and the help contact."""
    language = language_of(request)

    def t(key: str, /, **params: object) -> str:
        return bot_texts.text(key, language, **params)

    return templates.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": language,
            "help_contact": help_contact(language),
            "icp_number": settings_of(request).icp_number,
            **(context or {}),
        },
        status_code=status_code,
    )


def message_page(
    request: Request,
    title_key: str,
    body: str,
    *,
    status_code: int,
    way_on: str | None = None,
    way_on_key: str = "web.way_on.back",
) -> HTMLResponse:
    """A page that says one thing (a refusal, an error, a confirmation) and offers a
    link onwards: `way_on`, else the start of the part of the site the request was in."""
    return render(
        request,
        "message.html",
        {
            "title": text(request, title_key),
            "body": body,
            "way_on": way_on or way_on_for(request.url.path),
            "way_on_label": text(request, way_on_key),
        },
        status_code=status_code,
    )


def way_on_for(path: str) -> str:
    """Where a person goes on from an error on `path`: the survey's first page, their
    own start page, or the home page."""
    parts = [part for part in path.split("/") if part]
    if len(parts) >= 2 and parts[0] == "s":
        return f"/s/{parts[1]}"
    if parts and parts[0] in ("agency", "staff", "public"):
        return f"/{parts[0]}"
    return "/"


def see_other(url: str) -> RedirectResponse:
    """POST/redirect/GET: every form answers with 303 to a page that can be reloaded."""
    return RedirectResponse(url, status_code=303)
