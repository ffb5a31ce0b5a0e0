"""`safecomm agency weblink REF`: a one-time sign-in link to the agency's web pages,
issued for the agency itself (`agency:<id>`), which signs it in once."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.web.app import create_app
from tests.bot.conftest import Cli
from tests.builders import make_agency
from tests.web.conftest import web_settings
from workflow.access.models import WebLogin
from workflow.access.weblogins import token_hash


def _agency(db: Engine) -> tuple[int, str, str]:
    with Session(db) as session:
        agency = make_agency(session, name="北京平安咨询有限公司")
        session.commit()
        assert agency.id is not None
        return agency.id, agency.name, agency.credit_code


def test_weblink_prints_a_one_time_link_for_the_agency(db: Engine, cli: Cli) -> None:
    agency_id, name, _ = _agency(db)
    code, out, err = cli("agency", "weblink", str(agency_id))
    assert (code, err) == (0, "")
    link = re.search(r"http://127\.0\.0\.1:8000/login/([\w-]+)", out)
    assert link is not None and name in out and "只能使用一次" in out and "72小时" in out
    with Session(db) as session:
        stored = session.exec(select(WebLogin)).one()
    assert stored.token_hash == token_hash(link[1])
    assert (stored.kind, stored.actor_key, stored.agency_id) == (
        "agency",
        f"agency:{agency_id}",
        agency_id,
    )
    assert (stored.label, stored.issued_by) == (name, "cli:王管理")
    app = create_app(web_settings(db, "http://testserver"), db)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        assert client.post(f"/login/{link[1]}").headers["location"] == "/agency"
        assert name in client.get("/agency").text
        assert client.post(f"/login/{link[1]}").status_code != 303  # used once


def test_weblink_by_credit_code_and_for_an_unknown_agency(db: Engine, cli: Cli) -> None:
    _, _, credit_code = _agency(db)
    assert cli("agency", "weblink", credit_code)[0] == 0
    code, out, err = cli("agency", "weblink", "999")
    assert code == 1 and out == "" and err.startswith("错误：")
    with Session(db) as session:
        assert len(session.exec(select(WebLogin)).all()) == 1
