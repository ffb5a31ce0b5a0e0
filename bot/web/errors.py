"""Every failure as a page in the configured language with a way on: refusals of
the rules (`DomainError`), the database out of reach, unknown pages and methods,
incomplete forms, a foreign form, a missing or wrong sign-in; never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from bot.blocking import DatabaseUnavailable
from bot.web.forms import FormRefused
from bot.web.pages import message_page, text
from workflow.core.errors import Conflict, DomainError, InvalidInput, NotFound

logger = logging.getLogger(__name__)


class SignInNeeded(Exception):
    """The page needs a signed-in agency or staff member and the request has none."""


class WrongRole(Exception):
    """Signed in, but not as someone this page is for (deny by default)."""


def _status(error: DomainError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, InvalidInput):
        return 400
    if isinstance(error, Conflict):
        return 409
    return 403


async def domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    language = request.app.state.settings.language
    title = "web.error.not_found" if isinstance(error, NotFound) else "web.error.refused"
    return message_page(request, title, error.message(language), status_code=_status(error))


def _said(request: Request, key: str, status_code: int, **options: Any) -> Response:
    """The message page titled `key` with its text `<key>_body`."""
    return message_page(
        request, key, text(request, f"{key}_body"), status_code=status_code, **options
    )


async def database_unavailable(request: Request, error: Exception) -> Response:
    return _said(
        request,
        "web.error.unavailable",
        503,
        way_on=str(request.url.path),
        way_on_key="web.way_on.retry",
    )


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 405:
        return _said(request, "web.error.method", 405)
    if error.status_code == 404:
        return _said(request, "web.error.not_found", 404)
    return message_page(
        request,
        "web.error.refused",
        text(request, "web.error.generic_body"),
        status_code=error.status_code,
    )


async def invalid_form(request: Request, error: Exception) -> Response:
    """A bad form, or a bad number in the link itself (a page id too large, a year of
    letters): each said in its own words."""
    assert isinstance(error, RequestValidationError)
    in_link = any(problem.get("loc", ("",))[0] in ("path", "query") for problem in error.errors())
    return _said(request, "web.error.bad_link" if in_link else "web.error.invalid", 400)


async def sign_in_needed(request: Request, error: Exception) -> Response:
    return _said(request, "web.error.sign_in", 401, way_on="/")


async def wrong_role(request: Request, error: Exception) -> Response:
    return _said(request, "web.error.wrong_role", 403, way_on="/")


async def form_refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, FormRefused)
    return _said(request, "web.error.invalid", 400, way_on=error.way_on)


async def unexpected(request: Request, error: Exception) -> Response:
    logger.error("unexpected error on a web page", exc_info=error)
    return _said(request, "web.error.unexpected", 500, way_on="/")


def install_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(DatabaseUnavailable, database_unavailable)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_form)
    app.add_exception_handler(SignInNeeded, sign_in_needed)
    app.add_exception_handler(WrongRole, wrong_role)
    app.add_exception_handler(FormRefused, form_refused)
    app.add_exception_handler(Exception, unexpected)


async def foreign_form(scope: Scope, receive: Receive, send: Send) -> None:
    """The answer to a form sent from another site (ASGI, before any route runs)."""
    request = Request(scope, receive)
    await _said(request, "web.error.foreign", 403)(scope, receive, send)
