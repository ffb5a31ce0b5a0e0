"""The public pages: the home page, the current 公示 and the register (Art. 6).

Nothing here needs a sign-in, so nothing here shows more than the published files
do: the results list and the exit list (取消优先推荐资格名单) of the year whose 公示
period runs today (Art. 15; the same `results` and `publication` functions the CLI
`safecomm results` writes its files with), and the current register with the
principal's mobile masked (`workflow.registry.register`). Outside a period the page
says none is running, and when the last one ended or the next one starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from bot.web.pages import render, settings_of, unit
from workflow.assessment import publication, publicity, results
from workflow.assessment.publicity import Period, day_text
from workflow.core.clock import local_date, utcnow
from workflow.core.settings import Settings
from workflow.lifecycle.states import state_label
from workflow.registry import register

router = APIRouter()


@dataclass(frozen=True)
class Publicity:
    """What the 公示 page shows on `today`: the running period and its two lists, else
    the last period that ended and the next one that has not begun."""

    today: date
    running: Period | None = None
    results: list[results.ResultRow] = field(default_factory=list)
    exits: list[publication.ExitRow] = field(default_factory=list)
    last: Period | None = None
    next: Period | None = None


def publicity_on(session: Session, today: date, settings: Settings) -> Publicity:
    """The 公示 on `today` with its two lists, read only."""
    found = publicity.on_day(session, today)
    if found.running is None:
        return Publicity(today, last=found.last, next=found.next)
    year = found.running.year
    return Publicity(
        today,
        found.running,
        results.year_results(session, year, settings),
        publication.exit_list(session, year, settings),
    )


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, signed_out: str = "") -> HTMLResponse:
    """What the site is and the ways in; a notice after signing out (`/logout` comes
    here with `?signed_out=1`; any other value, e.g. from a link scanner, is ignored)."""
    return render(request, "home.html", {"signed_out": signed_out == "1"})


@router.get("/public", response_class=HTMLResponse)
async def current_publicity(request: Request) -> HTMLResponse:
    """The 公示 running today: the results list and the exit list, or that none runs."""
    settings = settings_of(request)
    today = local_date(utcnow(), settings.zone)
    shown = await unit(request, lambda s: publicity_on(s, today, settings), read_only=True)
    language = settings.language
    return render(
        request,
        "public_current.html",
        {
            "shown": shown,
            "day": lambda day: day_text(day, language),
            "language": language,
            "result_headers": dict(zip(results.COLUMNS, results.headers(language), strict=True)),
            "exit_headers": dict(
                zip(publication.EXIT_COLUMNS, publication.exit_headers(language), strict=True)
            ),
        },
    )


@router.get("/public/register", response_class=HTMLResponse)
async def current_register(request: Request) -> HTMLResponse:
    """Every agency on the register now (Art. 6), the principal's mobile masked."""
    settings = settings_of(request)
    today = local_date(utcnow(), settings.zone)
    listed = await unit(request, lambda s: register.current_register(s, settings), read_only=True)
    language = settings.language
    return render(
        request,
        "public_register.html",
        {
            "listed": listed,
            "today": day_text(today, language),
            "day": lambda day: day_text(day, language),
            "language": language,
            "state": lambda state: state_label(state, language),
            "columns": dict(zip(register.COLUMNS, register.headers(language), strict=True)),
        },
    )
