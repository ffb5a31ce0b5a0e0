"""One-time sign-in links for the web pages.

A link carries a random token; only its SHA-256 is stored, so the table holds
nothing that signs anybody in. A link is used up by one conditional UPDATE
(`used_at IS NULL AND expires_at > now`) whose row count decides, so two people
opening the same link at once sign in once, on SQLite and PostgreSQL alike.
Opening the link (a GET, which a link scanner also does) uses nothing: only the
press of the sign-in button (a POST) does.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workflow.access.actors import AGENCY_KEY, TELEGRAM_KEY, Actor, Role
from workflow.access.models import WebForm, WebLogin
from workflow.access.roles import role_of
from workflow.core.clock import utcnow
from workflow.core.errors import NotFound, Refused
from workflow.core.settings import Settings
from workflow.registry.models import Agency
from workflow.reminders.models import AgencyContact

Kind = Literal["agency", "staff"]
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class SignedIn:
    """Who a used link signed in: what the session keeps."""

    kind: Kind
    actor_key: str
    label: str
    agency_id: int | None
    login_id: int = 0
    """The link's row: revoking it (`end_session`, `revoke_sessions`) ends the session."""


def login_link(token: str, base_url: str) -> str:
    """The sign-in link a token opens: `<base>/login/<token>` (the pages' `/login` route)."""
    return f"{base_url}/login/{token}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_login(
    session: Session,
    kind: Kind,
    *,
    actor_key: str,
    label: str,
    issued_by: Actor,
    settings: Settings,
    agency_id: int | None = None,
    now: datetime | None = None,
) -> str:
    """A new one-time link's token (shown once, never stored). Staff links only for a key
    that holds a role now; agency links only for an agency that exists. Not committed."""
    now = now or utcnow()
    if kind == "staff" and role_of(session, Actor.web(actor_key, label), settings) is None:
        raise Refused("weblogin.no_role", name=label)
    if kind == "agency" and (agency_id is None or session.get(Agency, agency_id) is None):
        raise NotFound("weblogin.no_agency", agency_id=agency_id)
    token = secrets.token_urlsafe(32)
    session.add(
        WebLogin(
            token_hash=token_hash(token),
            kind=kind,
            agency_id=agency_id,
            actor_key=actor_key,
            label=label[:100],
            issued_by=issued_by.key,
            issued_at=now,
            expires_at=now + timedelta(hours=settings.web_link_hours),
        )
    )
    session.flush()
    return token


def peek_login(session: Session, token: str, now: datetime | None = None) -> WebLogin:
    """The link's row if it would still sign in, else the refusal; uses nothing up."""
    login = _find(session, token)
    _check(login, now or utcnow())
    return login


def redeem_login(session: Session, token: str, now: datetime | None = None) -> SignedIn:
    """Use the link up and say whom it signs in; a second use is refused. Not committed."""
    now = now or utcnow()
    login = _find(session, token)
    _check(login, now)
    used = session.execute(
        update(WebLogin)
        .where(col(WebLogin.id) == login.id)
        .where(col(WebLogin.used_at).is_(None))
        .where(col(WebLogin.expires_at) > now)
        .values(used_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise Refused("weblogin.used")
    kind: Kind = "agency" if login.kind == "agency" else "staff"
    assert login.id is not None
    return SignedIn(kind, login.actor_key, login.label, login.agency_id, login.id)


def _find(session: Session, token: str) -> WebLogin:
    if not TOKEN_SHAPE.fullmatch(token):
        raise NotFound("weblogin.unknown")
    login = session.exec(select(WebLogin).where(WebLogin.token_hash == token_hash(token))).first()
    if login is None:
        raise NotFound("weblogin.unknown")
    return login


def _check(login: WebLogin, now: datetime) -> None:
    if login.used_at is not None or login.revoked_at is not None:
        raise Refused("weblogin.used")
    if login.expires_at <= now:
        raise Refused("weblogin.expired")


def still_holds(session: Session, signed: SignedIn, settings: Settings) -> Role | int | None:
    """What a signed-in session may still do, checked on every request (deny by default):
    a staff member's role as held now, an agency's id while the person still speaks for
    it (the contact still bound, or the agency's own link), else None. A session whose
    link was revoked (signed out, `safecomm web revoke`) holds nothing, even for someone
    who kept a copy of its cookie."""
    login = session.get(WebLogin, signed.login_id) if signed.login_id else None
    if login is None or login.revoked_at is not None or login.actor_key != signed.actor_key:
        return None
    if signed.kind == "staff":
        return role_of(session, Actor.web(signed.actor_key, signed.label), settings)
    if signed.agency_id is None or session.get(Agency, signed.agency_id) is None:
        return None
    telegram = TELEGRAM_KEY.match(signed.actor_key)
    if telegram:
        contact = session.exec(
            select(AgencyContact).where(AgencyContact.telegram_user_id == int(telegram[1]))
        ).first()
        return signed.agency_id if contact and contact.agency_id == signed.agency_id else None
    agency = AGENCY_KEY.match(signed.actor_key)
    return signed.agency_id if agency and int(agency[1]) == signed.agency_id else None


def end_session(session: Session, login_id: int, now: datetime | None = None) -> None:
    """Sign-out: the session started by this link ends for good. Not committed."""
    session.execute(
        update(WebLogin)
        .where(col(WebLogin.id) == login_id, col(WebLogin.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
    )


def revoke_sessions(session: Session, actor_key: str, now: datetime | None = None) -> int:
    """End every web session and unused link of `actor_key` (`tg:<id>` or `agency:<id>`);
    how many there were. Not committed."""
    ended = session.execute(
        update(WebLogin)
        .where(col(WebLogin.actor_key) == actor_key, col(WebLogin.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
    )
    return int(ended.rowcount)  # type: ignore[attr-defined]


def new_form_id() -> str:
    """The one-time id a form that creates something carries in a hidden field."""
    return secrets.token_urlsafe(24)


def claim_form(session: Session, form_id: str) -> bool:
    """True the first time a form with this id is sent, False for every repeat (a double
    tap, a reload): the id's row is inserted with the change it brings, in its
    transaction, and the primary key lets only one of two concurrent sends in."""
    if not TOKEN_SHAPE.fullmatch(form_id):
        return False
    try:
        with session.begin_nested():
            session.add(WebForm(nonce=form_id))
            session.flush()
    except IntegrityError:
        return False
    return True
