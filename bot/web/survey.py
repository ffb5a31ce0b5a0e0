"""The questionnaire in the browser, for community staff: `/s/<token>`.

The same invitation as the chat's deep link, answered with the same functions
(`surveys.answering.open_survey` and `press`): this module only turns forms into
`Press`es and surveys into pages. A GET never binds or writes anything (link
scanners open URLs before people do): the landing page offers a button, and its
POST sets the browser's respondent cookie and binds the invitation. Every form
answers 303 to the GET page of the current step (POST/redirect/GET). A form names
the step it was shown on, so a second tab, the back button or a double submit is
stale by the chat's rule: nothing changes and the current step is shown with a
notice. A form no page of ours could send is refused with a 400 page.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.web.forms import bounded_form
from bot.web.pages import message_page, render, see_other, settings_of, text, unit
from surveys import answering
from surveys.answering import Action, Looked, Press, Survey
from surveys.questionnaire import ITEM_NUMBERS, POINTS, questionnaire
from surveys.respondents import Respondent, new_browser_secret
from workflow.core.clock import local_text, utcnow
from workflow.core.errors import Refused

router = APIRouter()

COOKIE = "safecomm_respondent"
COOKIE_PATH = "/s/"
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
"""`new_browser_secret()`: 32 random bytes, URL-safe base64 without padding."""
MIN_COOKIE_AGE = timedelta(days=30)
FORM_FIELDS = 6
"""A survey form has at most `action`, `item` and `points`; a few more are refused by
`parse_form`, many more before they are parsed."""
FORM_BYTES = 512
"""A survey form is a few dozen bytes; anything past this is not one of ours."""


def respondent_of(request: Request) -> Respondent | None:
    """The browser's respondent, from its cookie (None: no cookie, or not one of ours)."""
    secret = request.cookies.get(COOKIE, "")
    return Respondent.web(secret) if SECRET_PATTERN.fullmatch(secret) else None


def _set_cookie(request: Request, response: Response, secret: str, survey: Survey) -> None:
    """HttpOnly, SameSite=Lax, only under /s/, Secure over https; kept until the survey
    closes (the unit may come back and change its answers until then)."""
    settings = settings_of(request)
    closes = datetime.combine(survey.closes + timedelta(days=1), time(), tzinfo=settings.zone)
    age = max(closes - utcnow(), MIN_COOKIE_AGE)
    response.set_cookie(
        COOKIE,
        secret,
        max_age=int(age.total_seconds()),
        path=COOKIE_PATH,
        secure=settings.serves_https,
        httponly=True,
        samesite="lax",
    )


def _params(request: Request, survey: Survey) -> dict[str, Any]:
    """What every survey page shows of the survey, in the page's words."""
    settings = settings_of(request)
    form, language = questionnaire(), settings.language
    answers = [
        {
            "number": number,
            "short": form.item(number).short[language],
            "points": survey.answers.get(number),
            "label": form.label(survey.answers[number], language)
            if number in survey.answers
            else "",
        }
        for number in ITEM_NUMBERS
    ]
    return {
        "survey": survey,
        "title": form.title[language],
        "closes": survey.closes.isoformat(),
        "submitted_at": local_text(survey.submitted_at, settings.zone),
        "answers": answers,
    }


def _bound_here(looked: Looked, respondent: Respondent | None) -> bool:
    return respondent is not None and looked.respondent == respondent


@router.get("/s/{token}", response_class=HTMLResponse)
async def landing(request: Request, token: str) -> HTMLResponse:
    """Whom the unit rates, by when and what it is about, and a button to start (or go
    on): binds nothing. A closed survey says so, with the receipt if this browser sent one."""
    settings = settings_of(request)
    looked = await unit(
        request, lambda session: answering.look(session, token, settings), read_only=True
    )
    mine = _bound_here(looked, respondent_of(request))
    context = {**_params(request, looked.survey), "token": token, "mine": mine}
    if looked.closed is not None:
        context["reason"] = looked.closed.message(settings.language)
        return render(request, "survey_closed.html", context)
    started = mine and (bool(looked.survey.answers) or looked.survey.receipt is not None)
    return render(request, "survey_landing.html", {**context, "started": started})


@router.post("/s/{token}/start")
async def start(request: Request, token: str) -> RedirectResponse:
    """Bind the invitation to this browser (a new cookie on its first POST) and go to
    the current step; after a submission, reopen it at the review page."""
    settings = settings_of(request)
    secret = request.cookies.get(COOKIE, "")
    if not SECRET_PATTERN.fullmatch(secret):
        secret = new_browser_secret()
    respondent = Respondent.web(secret)
    opened = await unit(
        request, lambda session: answering.open_survey(session, token, respondent, settings)
    )
    response = see_other(f"/s/{token}/step")
    _set_cookie(request, response, secret, opened.survey)
    return response


async def _mine(request: Request, token: str) -> tuple[Looked, Respondent] | RedirectResponse:
    """The survey if this browser answers it; else the way to its landing page."""
    settings = settings_of(request)
    respondent = respondent_of(request)
    looked = await unit(
        request, lambda session: answering.look(session, token, settings), read_only=True
    )
    if respondent is None or looked.respondent != respondent or looked.closed is not None:
        return see_other(f"/s/{token}")
    return looked, respondent


@router.get("/s/{token}/step", response_class=HTMLResponse)
async def step(request: Request, token: str, stale: str = "") -> Response:
    """The current step: a question, the review or the receipt."""
    found = await _mine(request, token)
    if isinstance(found, RedirectResponse):
        return found
    survey = found[0].survey
    context = {**_params(request, survey), "token": token, "stale": stale == "1"}
    if survey.question is not None:
        return render(request, "survey_question.html", _question(request, survey, context))
    if survey.reviewing:
        return render(request, "survey_review.html", context)
    return render(request, "survey_receipt.html", context)


def _question(request: Request, survey: Survey, context: dict[str, Any]) -> dict[str, Any]:
    number = survey.question
    assert number is not None
    language = settings_of(request).language
    form = questionnaire()
    item = form.item(number)
    choices = [(points, form.label(points, language)) for points in reversed(POINTS)]
    current = survey.answers.get(number)
    return {
        **context,
        "number": number,
        "short": item.short[language],
        "text": item.text[language],
        "choices": choices,
        "current": current,
    }


_FORM = {
    Action.ANSWER: re.compile(r"[1-5]:[0-4]"),
    Action.BACK: re.compile(r"[2-5]"),
    Action.CHANGE: re.compile(r"[1-5]"),
    Action.SUBMIT: re.compile(r""),
}


def parse_form(fields: dict[str, str]) -> Press | None:
    """The press a survey form stands for (`action`, `item`, `points`; the invitation is
    the URL's, filled in later), or None for anything our pages do not send: an unknown
    action, an item or an answer out of range, a field an action does not take."""
    try:
        action = Action(fields.get("action", ""))
    except ValueError:
        return None
    item, points = fields.get("item", ""), fields.get("points", "")
    shape = f"{item}:{points}" if action is Action.ANSWER else item
    if not _FORM[action].fullmatch(shape) or (action is not Action.ANSWER and points):
        return None
    return Press(0, action, int(item) if item else None, int(points) if points else None)


@router.post("/s/{token}/step")
async def press(request: Request, token: str) -> Response:
    """Apply one form (or find it stale) and go to the current step: the form is checked
    before anything is read, then one unit of work reads the survey and presses."""
    respondent = respondent_of(request)
    if respondent is None:
        return see_other(f"/s/{token}")
    form = await bounded_form(request, max_fields=FORM_FIELDS, max_bytes=FORM_BYTES)
    fields = {key: value for key, value in (form or {}).items() if isinstance(value, str)}
    parsed = parse_form(fields)
    if form is None or parsed is None or len(form) != len(fields):
        return message_page(
            request,
            "web.survey.bad_form",
            text(request, "web.survey.bad_form_body"),
            status_code=400,
            way_on=f"/s/{token}/step",
        )
    settings = settings_of(request)

    def work(session: Session) -> answering.Pressed | None:
        try:
            return answering.press(session, parsed, respondent, settings, token=token)
        except Refused:
            return None  # not this browser's, or closed: the landing page says which

    pressed = await unit(request, work)
    if pressed is None:
        return see_other(f"/s/{token}")
    return see_other(f"/s/{token}/step" + ("" if pressed.accepted else "?stale=1"))
