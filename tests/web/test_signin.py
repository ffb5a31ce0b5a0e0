"""The web app's frame: headers, the same-origin check, error pages, one-time sign-in
links (used by the POST, never by the GET), role checks per request, logs without tokens."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.web.app import create_app
from bot.web.logs import HideUrlTokens, hide_tokens
from bot.web.signin import AgencyUser, Staff, require_agency, require_staff
from tests.builders import make_agency
from tests.web.conftest import english_codes, web_settings
from workflow.access.actors import Actor, Role
from workflow.access.grants import grant_role
from workflow.access.weblogins import issue_login, peek_login, redeem_login
from workflow.core.clock import utcnow
from workflow.core.db import transaction
from workflow.core.errors import NotFound, Refused
from workflow.core.settings import SettingsError, load_settings
from workflow.reminders.models import AgencyContact

ADMIN = Actor.cli("王管理")


def _staff_link(engine: Engine, key: str = "tg:501", role: Role = Role.EXPERT, **kw: object) -> str:
    settings = web_settings(engine, "http://testserver")
    with transaction(engine) as session:
        grant_role(session, key, role, ADMIN)
        return issue_login(
            session,
            "staff",
            actor_key=key,
            label="李专家",
            issued_by=ADMIN,
            settings=settings,
            **kw,  # type: ignore[arg-type]
        )


def _with_probe_pages(app: FastAPI) -> FastAPI:
    @app.get("/staff/probe-admin")
    async def admin_only(staff: Staff = require_staff(Role.ADMIN)) -> dict[str, str]:
        return {"role": staff.role.value}

    @app.get("/staff/probe-expert")
    async def expert(staff: Staff = require_staff(Role.EXPERT)) -> dict[str, str]:
        return {"key": staff.actor.key, "channel": staff.actor.channel}

    @app.get("/agency/probe")
    async def agency(who: AgencyUser = require_agency) -> dict[str, int]:
        return {"agency": who.agency_id}

    return app


def test_every_page_is_not_stored_and_leaks_no_referrer(web: TestClient) -> None:
    page = web.get("/no-such-page")
    assert page.status_code == 404
    assert "页面不存在" in page.text and "返回" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    assert "script-src" not in page.headers["content-security-policy"]  # none: default-src
    assert english_codes(page.text) == []
    css = web.get("/static/site.css")
    assert css.status_code == 200 and "max-age" in css.headers["cache-control"]


@pytest.mark.parametrize(
    ("headers", "accepted"),
    [
        ({"origin": "http://testserver"}, True),
        ({"origin": "null", "sec-fetch-site": "same-origin"}, True),
        ({}, True),  # neither header: no browser sends a cross-site form like this
        ({"origin": "https://evil.example"}, False),
        ({"origin": "null", "sec-fetch-site": "cross-site"}, False),
        ({"origin": "null"}, False),
        ({"sec-fetch-site": "cross-site"}, False),
        ({"origin": "http://testserver.evil.example"}, False),
    ],
)
def test_a_form_from_another_site_is_refused_before_any_route(
    web: TestClient, headers: dict[str, str], accepted: bool
) -> None:
    answer = web.post("/logout", headers=headers)
    if accepted:
        assert answer.status_code == 303
    else:
        assert answer.status_code == 403
        assert "不是从本网站的页面提交的" in answer.text
        assert answer.headers["cache-control"] == "no-store"


def test_a_wrong_method_and_a_bad_form_get_chinese_pages(web: TestClient) -> None:
    wrong = web.get("/logout")
    assert wrong.status_code == 405 and "不能这样打开" in wrong.text


def test_the_app_refuses_to_start_without_a_session_secret(engine: Engine) -> None:
    settings = load_settings(database_url="sqlite://")
    with pytest.raises(SettingsError, match="SAFECOMM_SESSION_SECRET"):
        create_app(settings, engine)
    with pytest.raises(SettingsError, match="SAFECOMM_SESSION_SECRET: must be at least 32"):
        load_settings(session_secret="too-short")


def test_opening_a_link_uses_nothing_and_pressing_signs_in_once(engine: Engine) -> None:
    token = _staff_link(engine)
    app = _with_probe_pages(create_app(web_settings(engine, "http://testserver"), engine))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as web:
        assert web.get("/staff/probe-expert").status_code == 401
        for _ in range(3):  # a link scanner, a preview, the person
            shown = web.get(f"/login/{token}")
            assert shown.status_code == 200 and "李专家" in shown.text and "登录" in shown.text
        signed = web.post(f"/login/{token}")
        assert signed.status_code == 303 and signed.headers["location"] == "/staff"
        assert web.get("/staff/probe-expert").json() == {"key": "tg:501", "channel": "web"}
        refused = web.get("/staff/probe-admin")
        assert refused.status_code == 403 and "无权访问" in refused.text
        assert web.get("/agency/probe").status_code == 403
        again = web.post(f"/login/{token}")
        assert again.status_code == 403 and "已经用过" in again.text
        assert "已经用过" in web.get(f"/login/{token}").text
    with TestClient(app, base_url="http://testserver") as stranger:
        assert stranger.post(f"/login/{token}").status_code == 403


def test_a_revoked_role_is_out_on_the_next_request(engine: Engine) -> None:
    token = _staff_link(engine)
    app = _with_probe_pages(create_app(web_settings(engine, "http://testserver"), engine))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as web:
        web.post(f"/login/{token}")
        assert web.get("/staff/probe-expert").status_code == 200
        from workflow.access.grants import revoke_role

        with transaction(engine) as session:
            revoke_role(session, "tg:501")
        assert web.get("/staff/probe-expert").status_code == 403
        assert web.get("/staff/probe-expert").status_code == 401  # the session was cleared


def test_a_forged_session_cookie_signs_nobody_in(engine: Engine) -> None:
    app = _with_probe_pages(create_app(web_settings(engine, "http://testserver"), engine))
    with TestClient(app, base_url="http://testserver") as web:
        web.cookies.set("safecomm_session", "eyJ3aG8iOiB7fX0=.forged.signature")
        assert web.get("/staff/probe-expert").status_code == 401


def test_an_agency_session_holds_while_the_contact_is_bound(engine: Engine) -> None:
    settings = web_settings(engine, "http://testserver")
    with Session(engine) as session:
        agency = make_agency(session)
        assert agency.id is not None
        agency_id = agency.id
        session.add(AgencyContact(agency_id=agency_id, telegram_user_id=777, display_name="张"))
        session.commit()
    with transaction(engine) as session:
        token = issue_login(
            session,
            "agency",
            actor_key="tg:777",
            label="张",
            issued_by=ADMIN,
            settings=settings,
            agency_id=agency_id,
        )
        own = issue_login(
            session,
            "agency",
            actor_key=f"agency:{agency_id}",
            label="机构",
            issued_by=ADMIN,
            settings=settings,
            agency_id=agency_id,
        )
    app = _with_probe_pages(create_app(settings, engine))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as web:
        assert web.post(f"/login/{token}").headers["location"] == "/agency"
        assert web.get("/agency/probe").json() == {"agency": agency_id}
        assert web.get("/staff/probe-expert").status_code == 403
        with transaction(engine) as session:
            contact = session.exec(select(AgencyContact)).one()
            session.delete(contact)
        assert web.get("/agency/probe").status_code == 403
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as web:
        web.post(f"/login/{own}")
        assert web.get("/agency/probe").json() == {"agency": agency_id}


def test_links_are_refused_for_nobody_unknown_and_expired(any_engine: Engine) -> None:
    settings = web_settings(any_engine, "http://testserver")
    with transaction(any_engine) as session, pytest.raises(Refused, match="没有管理员或专家角色"):
        issue_login(
            session, "staff", actor_key="tg:9", label="x", issued_by=ADMIN, settings=settings
        )
    with transaction(any_engine) as session, pytest.raises(NotFound, match="没有编号为 99 的机构"):
        issue_login(
            session,
            "agency",
            actor_key="agency:99",
            label="x",
            issued_by=ADMIN,
            settings=settings,
            agency_id=99,
        )
    old = utcnow() - timedelta(hours=settings.web_link_hours + 1)
    token = _staff_link(any_engine, now=old)
    with transaction(any_engine) as session, pytest.raises(Refused, match="已过期"):
        redeem_login(session, token)
    with transaction(any_engine) as session, pytest.raises(NotFound, match="登录链接无效"):
        redeem_login(session, "A" * 43)
    with transaction(any_engine) as session, pytest.raises(NotFound, match="登录链接无效"):
        redeem_login(session, "../../etc/passwd")


def test_two_presses_of_one_link_at_once_sign_in_once(any_engine: Engine) -> None:
    """Both read the link unused; the conditional UPDATE lets only one use it."""
    token = _staff_link(any_engine)
    with Session(any_engine) as first, Session(any_engine) as second:
        peek_login(first, token)
        peek_login(second, token)
        redeem_login(first, token)
        first.commit()
        with pytest.raises(Refused, match="已经用过"):
            redeem_login(second, token)


def test_tokens_never_reach_the_access_log(caplog: pytest.LogCaptureFixture) -> None:
    assert hide_tokens("GET /s/abcDEF123_-xyz?x=1 HTTP/1.1") == "GET /s/<token>?x=1 HTTP/1.1"
    assert hide_tokens("/login/Zz9_-aa/") == "/login/<token>/"
    logger = logging.getLogger("uvicorn.access.test")
    logger.addFilter(HideUrlTokens())
    with caplog.at_level(logging.INFO, logger="uvicorn.access.test"):
        logger.info('%s - "%s %s HTTP/%s" %d', "1.2.3.4", "POST", "/s/SECRETTOKEN123", "1.1", 303)
    assert "SECRETTOKEN123" not in caplog.text and "/s/<token>" in caplog.text


def test_the_icp_filing_number_sits_in_every_page_footer(engine: Engine) -> None:
    settings = web_settings(engine, "http://testserver", icp_number="京ICP备12345678号-1")
    with TestClient(create_app(settings, engine), base_url="http://testserver") as web:
        page = web.get("/no-such-page").text
    assert '<a href="https://beian.miit.gov.cn/" rel="noreferrer">京ICP备12345678号-1</a>' in page
    with pytest.raises(SettingsError, match="SAFECOMM_ICP_NUMBER: must be an ICP filing number"):
        load_settings(icp_number="ICP 123")


def test_signing_out_ends_the_session_even_for_a_copied_cookie(engine: Engine) -> None:
    token = _staff_link(engine)
    app = _with_probe_pages(create_app(web_settings(engine, "http://testserver"), engine))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as web:
        web.post(f"/login/{token}")
        kept = web.cookies.get("safecomm_session")
        assert kept and web.get("/staff/probe-expert").status_code == 200
        assert web.post("/logout").status_code == 303
        assert web.get("/staff/probe-expert").status_code == 401
    with TestClient(app, base_url="http://testserver") as thief:
        thief.cookies.set("safecomm_session", kept)
        assert thief.get("/staff/probe-expert").status_code == 403


def test_an_admin_revokes_every_session_of_a_person(engine: Engine) -> None:
    from workflow.access.weblogins import revoke_sessions

    token, unused = _staff_link(engine), _staff_link(engine)
    app = _with_probe_pages(create_app(web_settings(engine, "http://testserver"), engine))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as web:
        web.post(f"/login/{token}")
        with transaction(engine) as session:
            assert revoke_sessions(session, "tg:501") == 2
        assert web.get("/staff/probe-expert").status_code == 403
        assert "已经用过" in web.post(f"/login/{unused}").text


def test_a_form_id_is_claimed_once_even_by_two_sends_at_once(any_engine: Engine) -> None:
    from workflow.access.weblogins import claim_form, new_form_id

    form = new_form_id()
    with Session(any_engine) as first, Session(any_engine) as second:
        assert claim_form(first, form) is True
        first.commit()
        assert claim_form(second, form) is False
        second.commit()
    with Session(any_engine) as session:
        assert claim_form(session, "not a form id!") is False
        assert claim_form(session, new_form_id()) is True
