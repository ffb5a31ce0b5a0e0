"""`safecomm web login-link USER` and `safecomm web` without a session secret."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.bot.conftest import Cli
from workflow.access.models import WebLogin
from workflow.access.weblogins import token_hash


def test_a_login_link_for_someone_with_a_role(db: Engine, cli: Cli) -> None:
    assert cli("role", "grant", "501", "expert")[0] == 0
    code, out, err = cli("web", "login-link", "501", "--name", "李专家")
    assert (code, err) == (0, "")
    link = re.search(r"http://127\.0\.0\.1:8000/login/([\w-]+)", out)
    assert link is not None and "只能使用一次" in out and "72小时" in out
    with Session(db) as session:
        stored = session.exec(select(WebLogin)).one()
    assert stored.token_hash == token_hash(link[1]) and link[1] not in stored.token_hash
    assert (stored.kind, stored.actor_key, stored.label) == ("staff", "tg:501", "李专家")
    assert stored.issued_by == "cli:王管理"


def test_no_link_for_someone_without_a_role(db: Engine, cli: Cli) -> None:
    code, out, err = cli("web", "login-link", "tg:777")
    assert code == 1 and out == ""
    assert "没有管理员或专家角色" in err
    code, _, err = cli("web", "login-link", "-5")
    assert code != 0


def test_serving_without_a_session_secret_says_so(db: Engine, cli: Cli) -> None:
    code, _, err = cli("web")
    assert code == 2 and "SAFECOMM_SESSION_SECRET" in err and "openssl rand -hex 32" in err


def test_revoking_ends_a_persons_sessions_and_links(db: Engine, cli: Cli) -> None:
    cli("role", "grant", "501", "expert")
    cli("web", "login-link", "501")
    cli("web", "login-link", "501")
    code, out, err = cli("web", "revoke", "501")
    assert (code, err) == (0, "") and "已结束 tg:501 的 2 个网页登录" in out
    with Session(db) as session:
        assert all(row.revoked_at is not None for row in session.exec(select(WebLogin)))
    code, _, err = cli("web", "revoke", "501", "--agency", "1")
    assert code == 2 and "二者选一" in err
