"""Where roles come from, and the checks that deny by default.

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

from sqlmodel import Session, select

from workflow.access.actors import TELEGRAM_KEY, Actor, Role, may, role_label
from workflow.access.models import RoleGrant
from workflow.core.errors import Refused
from workflow.core.settings import Settings


def role_of(session: Session, actor: Actor, settings: Settings) -> Role | None:
    """The strongest role the actor holds now, or None (deny by default)."""
    if actor.channel == "cli" and actor.key.startswith("cli:"):
        return Role.ADMIN
    telegram = TELEGRAM_KEY.match(actor.key)
    if telegram and int(telegram[1]) in settings.admin_ids:
        return Role.ADMIN
    grant = session.exec(select(RoleGrant).where(RoleGrant.actor_key == actor.key)).first()
    return Role(grant.role) if grant is not None else None


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
