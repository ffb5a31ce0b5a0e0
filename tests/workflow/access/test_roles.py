"""Roles: admins from the settings and from grants, experts from grants, CLI operators act
as admins, everybody else has no role (deny by default)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.builders import committed
from tests.workflow.lifecycle_steps import ADMIN, EXPERT, STRANGER, TG_ADMIN, agency_in, make_agency
from workflow.access import grants
from workflow.access.actors import Actor, Role, may, parse_grantee, parse_role
from workflow.access.roles import list_grants, role_of
from workflow.core.errors import InvalidInput, NotFound, Refused
from workflow.core.settings import Settings
from workflow.lifecycle import engine as lifecycle
from workflow.lifecycle.audit import verify
from workflow.lifecycle.models import AuditEntry


def test_where_roles_come_from(session: Session, settings: Settings) -> None:
    with_admins = settings.model_copy(update={"admin_ids": [1001]})
    assert role_of(session, TG_ADMIN, with_admins) is Role.ADMIN
    assert role_of(session, TG_ADMIN, settings) is None
    assert role_of(session, ADMIN, settings) is Role.ADMIN
    assert role_of(session, STRANGER, with_admins) is None
    assert role_of(session, Actor("cli:eve", "eve", "chat"), settings) is None
    committed(grants.grant)(session, EXPERT.key, Role.EXPERT, ADMIN, settings)
    assert role_of(session, EXPERT, settings) is Role.EXPERT


def test_admin_includes_expert() -> None:
    assert may(Role.ADMIN, Role.EXPERT) and may(Role.ADMIN, Role.ADMIN)
    assert may(Role.EXPERT, Role.EXPERT) and not may(Role.EXPERT, Role.ADMIN)
    assert not may(None, Role.EXPERT)


def test_grant_replace_and_revoke_are_audited(session: Session, settings: Settings) -> None:
    committed(grants.grant)(session, "2001", Role.EXPERT, ADMIN, settings)
    committed(grants.grant)(session, "tg:2001", Role.ADMIN, ADMIN, settings)
    assert role_of(session, EXPERT, settings) is Role.ADMIN
    committed(grants.revoke)(session, "tg:2001", ADMIN, settings)
    assert role_of(session, EXPERT, settings) is None
    entries = session.exec(select(AuditEntry).order_by(AuditEntry.seq)).all()  # type: ignore[arg-type]
    assert [(e.trigger, e.subject, e.source, e.target) for e in entries] == [
        ("role.grant", "tg:2001", "", "expert"),
        ("role.grant", "tg:2001", "expert", "admin"),
        ("role.revoke", "tg:2001", "admin", ""),
    ]
    assert verify(session).ok


def test_only_admins_grant(session: Session, settings: Settings) -> None:
    committed(grants.grant)(session, EXPERT.key, Role.EXPERT, ADMIN, settings)
    with pytest.raises(Refused, match="需要“管理员”角色"):
        committed(grants.grant)(session, "tg:3003", Role.EXPERT, EXPERT, settings)
    with pytest.raises(Refused, match="没有任何角色"):
        committed(grants.grant)(session, "tg:3003", Role.ADMIN, STRANGER, settings)
    assert role_of(session, Actor.telegram(3003, "x"), settings) is None


def test_bad_role_input(session: Session, settings: Settings) -> None:
    with pytest.raises(InvalidInput, match="未知角色“boss”"):
        parse_role("boss")
    assert parse_role(" Expert ") is Role.EXPERT
    with pytest.raises(InvalidInput, match="不是 Telegram 用户"):
        parse_grantee("cli:alice")
    with pytest.raises(NotFound, match="没有被授予的角色"):
        committed(grants.revoke)(session, "tg:4004", ADMIN, settings)


def test_list_grants_names_the_source(session: Session, settings: Settings) -> None:
    with_admins = settings.model_copy(update={"admin_ids": [1001]})
    committed(grants.grant)(session, EXPERT.key, Role.EXPERT, ADMIN, settings)
    assert list_grants(session, with_admins) == [
        ("tg:1001", Role.ADMIN, "settings"),
        ("tg:2001", Role.EXPERT, "cli:tester"),
    ]


def test_expert_reviews_and_rejects_before_the_interview_only(
    session: Session, settings: Settings
) -> None:
    committed(grants.grant)(session, EXPERT.key, Role.EXPERT, ADMIN, settings)
    agency = agency_in(session, "reviewed", settings)
    assert agency.id is not None
    entry = committed(lifecycle.advance)(
        session, agency.id, "reject", EXPERT, "答辩未通过", settings=settings
    )
    assert (entry.role, entry.channel, entry.actor_name) == ("expert", "chat", "专家甲")
    other = agency_in(session, "interviewed", settings)
    assert other.id is not None
    with pytest.raises(Refused, match="需要“管理员”角色"):
        committed(lifecycle.advance)(
            session, other.id, "reject", EXPERT, "因总量控制未列入本批次备案名单", settings=settings
        )


def test_settings_admin_may_file(session: Session, settings: Settings) -> None:
    with_admins = settings.model_copy(update={"admin_ids": [1001]})
    agency = make_agency(session)
    assert agency.id is not None
    entry = committed(lifecycle.advance)(
        session, agency.id, "reject", TG_ADMIN, "材料不全", settings=with_admins
    )
    assert (entry.actor, entry.role) == ("tg:1001", "admin")
