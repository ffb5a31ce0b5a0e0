"""Signing in by a one-time link, the signed session, and who a page is for.

`GET /login/<token>` only shows a button (a link scanner opening the URL uses
nothing up); pressing it (`POST`) uses the link and starts a session signed with
the session secret (Starlette's `SessionMiddleware`, itsdangerous). Every page
behind a sign-in checks on the server, on every request, that the session still
holds (`workflow.access.weblogins.still_holds`): a revoked role or an unbound
contact is out at once, not when the cookie expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from bot.web.errors import SignInNeeded, WrongRole
from bot.web.pages import render, see_other, settings_of, unit
from workflow.access.actors import Actor, Role, may
from workflow.access.weblogins import (
    SignedIn,
    end_session,
    peek_login,
    redeem_login,
    still_holds,
)

router = APIRouter()
SESSION_KEY = "who"


@dataclass(frozen=True)
class Staff:
    """An admin or expert signed in, with the role they hold now."""

    actor: Actor
    role: Role


@dataclass(frozen=True)
class AgencyUser:
    """A person signed in for one agency."""

    actor: Actor
    agency_id: int


def signed_in(request: Request) -> SignedIn | None:
    """Who the session says is signed in (not yet checked against the database)."""
    who = request.session.get(SESSION_KEY)
    if not isinstance(who, dict):
        return None
    try:
        return SignedIn(
            who["kind"], str(who["key"]), str(who["label"]), who.get("agency"), int(who["login"])
        )
    except (KeyError, TypeError, ValueError):
        return None


def require_staff(needed: Role) -> Any:
    """A dependency: the signed-in admin or expert whose role includes `needed`."""

    async def staff(request: Request) -> Staff:
        who = signed_in(request)
        if who is None:
            raise SignInNeeded()
        if who.kind != "staff":
            raise WrongRole()
        settings = settings_of(request)
        role = await unit(request, lambda s: still_holds(s, who, settings), read_only=True)
        if not isinstance(role, Role):
            request.session.clear()
            raise WrongRole()
        if not may(role, needed):
            raise WrongRole()
        return Staff(Actor.web(who.actor_key, who.label), role)

    return Depends(staff)


async def _agency_user(request: Request) -> AgencyUser:
    who = signed_in(request)
    if who is None:
        raise SignInNeeded()
    if who.kind != "agency" or who.agency_id is None:
        raise WrongRole()
    settings = settings_of(request)
    holds = await unit(request, lambda s: still_holds(s, who, settings), read_only=True)
    if holds != who.agency_id:
        request.session.clear()
        raise WrongRole()
    return AgencyUser(Actor.web(who.actor_key, who.label), who.agency_id)


require_agency = Depends(_agency_user)
"""A dependency: the person signed in for an agency, while they still speak for it."""


def start_page(who: SignedIn) -> str:
    return "/agency" if who.kind == "agency" else "/staff"


@router.get("/login/{token}", response_class=HTMLResponse)
async def login_page(request: Request, token: str) -> HTMLResponse:
    login = await unit(request, lambda s: peek_login(s, token), read_only=True)
    return render(request, "login.html", {"label": login.label, "token": token})


@router.post("/login/{token}")
async def login(request: Request, token: str) -> RedirectResponse:
    def use(session: Session) -> SignedIn:
        return redeem_login(session, token)

    who = await unit(request, use)
    request.session.clear()
    request.session[SESSION_KEY] = {
        "kind": who.kind,
        "key": who.actor_key,
        "label": who.label,
        "agency": who.agency_id,
        "login": who.login_id,
    }
    return see_other(start_page(who))


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    """Sign out for good: the session's link row is revoked, so a kept copy of the cookie
    signs nobody in either."""
    who = signed_in(request)
    if who is not None and who.login_id:
        await unit(request, lambda session: end_session(session, who.login_id))
    request.session.clear()
    return see_other("/?signed_out=1")
