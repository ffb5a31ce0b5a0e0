"""Who may do what: actors, the two roles and where they come from.

An `Actor` is the person firing a lifecycle trigger: a Telegram user
(`tg:<telegram id>`) or a CLI operator (`cli:<login>`). Roles: `expert` (the
panel: review, interview, reject before the interview) and `admin` (everything
an expert may do, plus filing, assessment, exits, quota decisions).

Where roles come from, deny by default:
- every Telegram id in `settings.admin_ids` is an admin;
- a `RoleGrant` row (`safecomm role grant KEY ROLE`) gives its key that role;
- a CLI operator acts as admin: shell access to the database already is full
  access, so the CLI records *who* acted (their login name) rather than
  pretending to restrict them;
- anybody else has no role and may fire nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from sqlmodel import Session, select

from workflow.access.models import RoleGrant
from workflow.core.errors import InvalidInput, Refused
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings

Channel = Literal["chat", "cli"]
_TELEGRAM_KEY = re.compile(r"^tg:(\d{1,20})$")


class Role(StrEnum):
    """The roles, weakest first: a higher role includes every lower one."""

    EXPERT = "expert"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def includes(self, other: Role) -> bool:
        return self.rank >= other.rank


@dataclass(frozen=True)
class Actor:
    """Who fires a trigger: a stable key for permissions and a name for people."""

    key: str
    name: str
    channel: Channel

    @classmethod
    def telegram(cls, user_id: int, name: str) -> Actor:
        return cls(f"tg:{user_id}", name, "chat")

    @classmethod
    def cli(cls, login: str) -> Actor:
        return cls(f"cli:{login}", login, "cli")


def role_label(role: Role, language: str | None = None) -> str:
    """管理员 / admin, 专家 / expert."""
    return workflow_texts.text(f"lifecycle.role.{role.value}", language)


def parse_role(text: str) -> Role:
    """`admin` / `expert` (case-insensitive), else a clear refusal."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise InvalidInput(
            "lifecycle.unknown_role", role=text, known=", ".join(r.value for r in Role)
        ) from None


def parse_grantee(text: str) -> str:
    """A Telegram key `tg:<id>` (a bare id is accepted); CLI operators need no grant."""
    text = text.strip()
    if text.isdigit():
        text = f"tg:{text}"
    if not _TELEGRAM_KEY.match(text):
        raise InvalidInput("lifecycle.bad_actor_key", key=text)
    return text


def role_of(session: Session, actor: Actor, settings: Settings) -> Role | None:
    """The strongest role the actor holds now, or None (deny by default)."""
    if actor.channel == "cli" and actor.key.startswith("cli:"):
        return Role.ADMIN
    telegram = _TELEGRAM_KEY.match(actor.key)
    if telegram and int(telegram[1]) in settings.admin_ids:
        return Role.ADMIN
    grant = session.exec(select(RoleGrant).where(RoleGrant.actor_key == actor.key)).first()
    return Role(grant.role) if grant is not None else None


def may(role: Role | None, needed: Role) -> bool:
    """True when `role` includes `needed`."""
    return role is not None and role.includes(needed)


def require_role(
    session: Session, actor: Actor, needed: Role, settings: Settings, action: str
) -> Role:
    """The actor's role if it includes `needed`, else a refusal naming what is missing."""
    role = role_of(session, actor, settings)
    if role is None:
        raise Refused("lifecycle.no_role", actor=actor.name)
    if not may(role, needed):
        raise Refused(
            "lifecycle.forbidden", actor=actor.name, trigger=action, role=role_label(needed)
        )
    return role


def list_grants(session: Session, settings: Settings) -> list[tuple[str, Role, str]]:
    """Every admin and expert: (key, role, source) with source `settings` or the granter."""
    rows: list[tuple[str, Role, str]] = [
        (f"tg:{user_id}", Role.ADMIN, "settings") for user_id in sorted(settings.admin_ids)
    ]
    for grant in session.exec(select(RoleGrant).order_by(RoleGrant.actor_key)).all():
        rows.append((grant.actor_key, Role(grant.role), grant.granted_by))
    return rows
