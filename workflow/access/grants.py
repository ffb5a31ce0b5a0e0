"""Granting and revoking roles (admins only): each change is an audit entry.
This sits above the audit log, which needs `Actor` from `access.actors`.
"""

from __future__ import annotations

from sqlmodel import Session, select

from workflow.access.actors import Actor, Role, parse_grantee
from workflow.access.models import RoleGrant
from workflow.access.roles import require_role
from workflow.core.clock import utcnow
from workflow.core.errors import NotFound
from workflow.core.settings import Settings, get_settings
from workflow.lifecycle.audit import append
from workflow.lifecycle.models import AuditEntry


def grant_role(session: Session, key: str, role: Role, by: Actor) -> tuple[Role | None, Role]:
    """Give `key` the role (replacing any other); return (before, after). Not committed."""
    grant = session.exec(select(RoleGrant).where(RoleGrant.actor_key == key)).first()
    before = Role(grant.role) if grant is not None else None
    if grant is None:
        grant = RoleGrant(actor_key=key, role=role.value, granted_by=by.key)
    else:
        grant.role, grant.granted_by, grant.granted_at = role.value, by.key, utcnow()
    session.add(grant)
    session.flush()
    return before, role


def revoke_role(session: Session, key: str) -> Role:
    """Remove the granted role of `key`; return it. Not committed."""
    grant = session.exec(select(RoleGrant).where(RoleGrant.actor_key == key)).first()
    if grant is None:
        raise NotFound("lifecycle.no_grant", key=key)
    session.delete(grant)
    session.flush()
    return Role(grant.role)


def grant(
    session: Session, key: str, role: Role, actor: Actor, settings: Settings | None = None
) -> AuditEntry:
    """Give a Telegram user a role (admins only); audited; the caller commits."""
    settings = settings or get_settings()
    mine = require_role(session, actor, Role.ADMIN, settings, "role.grant")
    key = parse_grantee(key)
    before, after = grant_role(session, key, role, actor)
    return append(
        session,
        actor=actor,
        role=mine.value,
        trigger="role.grant",
        source=before.value if before else "",
        target=after.value,
        subject=key,
    )


def revoke(
    session: Session, key: str, actor: Actor, settings: Settings | None = None
) -> AuditEntry:
    """Take a granted role away (admins only); audited; the caller commits. Admins named
    in the settings stay admins: change `SAFECOMM_ADMIN_IDS` for them."""
    settings = settings or get_settings()
    mine = require_role(session, actor, Role.ADMIN, settings, "role.revoke")
    key = parse_grantee(key)
    before = revoke_role(session, key)
    return append(
        session,
        actor=actor,
        role=mine.value,
        trigger="role.revoke",
        source=before.value,
        subject=key,
    )
