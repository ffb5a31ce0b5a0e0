"""`safecomm agency link|contacts|unbind` and `safecomm remind plan|send|status`."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import bot.telegram.app
import bot.telegram.jobs
from bot.demo.offline import OFFLINE_TOKEN, RecordingRequest
from bot.telegram.app import build_application
from tests.bot.conftest import Cli
from tests.workflow.lifecycle_steps import agency_in
from workflow.core.db import transaction
from workflow.core.settings import get_settings, load_settings
from workflow.registry.models import Agency
from workflow.reminders import contacts, outbox
from workflow.reminders.models import AgencyContact, AgencyLinkToken
from workflow.reminders.plan import AGENCY_REPORT, Reminder

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALICE, BOB = 1001, 1002


def filed(engine: Engine, name: str = "甲咨询公司") -> Agency:
    with transaction(engine) as session:
        return agency_in(session, "filed", load_settings(), name=name)


def bind(engine: Engine, agency: Agency, user: int) -> None:
    with transaction(engine) as session:
        contacts.bind_contact(
            session, contacts.issue_link_token(session, agency, "admin"), user, "李联系"
        )


# --- agency link / contacts / unbind --------------------------------------------------------


def test_agency_link_prints_a_one_time_deep_link(db: Engine, cli: Cli) -> None:
    agency = filed(db)

    code, out, err = cli("agency", "link", str(agency.id))

    assert (code, err) == (0, "")
    match = re.search(r"https://t\.me/bjsafety_bot\?start=([A-Za-z0-9_-]{43})", out)
    assert match and "甲咨询公司" in out
    with Session(db) as session:
        link = session.exec(select(AgencyLinkToken)).one()
    assert (link.token, link.agency_id, link.issued_by) == (match[1], agency.id, "王管理")


def test_agency_link_by_credit_code_and_for_an_unknown_agency(db: Engine, cli: Cli) -> None:
    agency = filed(db)
    assert cli("agency", "link", agency.credit_code)[0] == 0

    code, out, err = cli("agency", "link", "999")

    assert code == 1 and out == "" and err.startswith("错误：")
    with Session(db) as session:
        assert len(session.exec(select(AgencyLinkToken)).all()) == 1


def test_agency_contacts_lists_who_receives_the_reminders(db: Engine, cli: Cli) -> None:
    agency = filed(db)
    assert "还没有绑定联系人" in cli("agency", "contacts", str(agency.id))[1]
    bind(db, agency, ALICE)
    bind(db, agency, BOB)

    code, out, _ = cli("agency", "contacts", str(agency.id))
    _, as_json, _ = cli("agency", "contacts", str(agency.id), "--json")

    assert code == 0 and str(ALICE) in out and str(BOB) in out and "李联系" in out
    assert [row["user_id"] for row in json.loads(as_json)] == [ALICE, BOB]


def test_agency_unbind(db: Engine, cli: Cli) -> None:
    agency, other = filed(db), filed(db, "乙咨询公司")
    bind(db, agency, ALICE)

    wrong_agency = cli("agency", "unbind", str(other.id), str(ALICE))
    malformed = cli("agency", "unbind", str(agency.id), "alice")
    done = cli("agency", "unbind", str(agency.id), str(ALICE))
    again = cli("agency", "unbind", str(agency.id), str(ALICE))

    assert wrong_agency[0] == 1 and "不是该机构的联系人" in wrong_agency[2]
    assert malformed[0] == 1 and "Telegram 用户编号" in malformed[2]
    assert done[0] == 0 and "已解除" in done[1]
    assert again[0] == 1
    with Session(db) as session:
        assert session.exec(select(AgencyContact)).all() == []


# --- remind plan / send / status ------------------------------------------------------------


def test_remind_plan_shows_who_gets_what_when(db: Engine, cli: Cli) -> None:
    agency = filed(db)
    bind(db, agency, ALICE)

    code, out, _ = cli("remind", "plan", "--at", "2026-12-12T10:00")
    _, as_json, _ = cli("remind", "plan", "--at", "2026-12-12T10:00", "--json")

    assert code == 0
    assert "2026-12-14 09:00" in out and "机构报告提醒" in out
    planned = json.loads(as_json)
    assert [(row["due"], row["state"]) for row in planned] == [
        ("2026-12-08 09:00", "已被后续提醒取代"),
        ("2026-12-12 09:00", "已到期"),
        ("2026-12-14 09:00", "待发送"),
        ("2026-12-15 09:00", "待发送"),
    ]
    assert planned[1]["key"] == f"agency:{agency.id}:{ALICE}:2026:T-3"


def test_remind_plan_refuses_a_malformed_time_and_says_when_nothing_is_planned(
    db: Engine, cli: Cli
) -> None:
    code, out, err = cli("remind", "plan", "--at", "12/08 9am")
    assert code == 1 and out == "" and "无法识别时间" in err
    code, out, _ = cli("remind", "plan", "--at", "2026-12-12")
    assert code == 0 and "没有需要发送的提醒" in out


def test_remind_send_needs_a_bot_token(db: Engine, cli: Cli) -> None:
    code, _, err = cli("remind", "send")
    assert code == 2 and "SAFECOMM_TELEGRAM_TOKEN" in err


def test_remind_send_enqueues_and_sends_once(
    db: Engine, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    agency = filed(db)
    bind(db, agency, ALICE)
    request = RecordingRequest()
    monkeypatch.setenv("SAFECOMM_TELEGRAM_TOKEN", OFFLINE_TOKEN)
    get_settings.cache_clear()
    monkeypatch.setattr(
        bot.telegram.app,
        "build_application",
        lambda settings, engine: build_application(settings, engine, request=request),
    )
    monkeypatch.setattr(
        bot.telegram.jobs, "utcnow", lambda: datetime(2026, 12, 12, 9, 30, tzinfo=SHANGHAI)
    )

    first = cli("remind", "send")
    second = cli("remind", "send")

    assert first[0] == 0 and "新增待发送提醒 1 条" in first[1] and "已发送 1 条" in first[1]
    assert "新增待发送提醒 0 条" in second[1] and "已发送 0 条" in second[1]
    assert len(request.sent(ALICE)) == 1
    planned = json.loads(cli("remind", "plan", "--at", "2026-12-12T09:30", "--json")[1])
    assert [row["state"] for row in planned] == ["已被后续提醒取代", "已发送", "待发送", "待发送"]


def test_remind_status_shows_blocked_users_and_uncertain_sends(db: Engine, cli: Cli) -> None:
    now = datetime(2026, 12, 12, 9, 0, tzinfo=SHANGHAI)
    with transaction(db) as session:
        outbox.enqueue(
            session,
            [
                Reminder(chat_id=chat, kind=AGENCY_REPORT, key=key, due_at=now)
                for chat, key in ((ALICE, "blocked"), (BOB, "unknown"))
            ],
            now,
        )
        for row in outbox.reserve(session, now, 10, "test"):
            assert row.id is not None
            outbox.claim(session, row.id, now, "test")
            if row.key == "blocked":
                outbox.mark_undeliverable(session, row.id, "Forbidden: bot was blocked by the user")
        outbox.flag_uncertain(session, now + timedelta(hours=1))

    code, out, _ = cli("remind", "status")
    _, as_json, _ = cli("remind", "status", "--json")

    assert code == 0
    assert "无法送达 1" in out and "结果不确定 1" in out
    assert str(ALICE) in out and "blocked by the user" in out and "unknown" in out
    status: dict[str, Any] = json.loads(as_json)
    assert status["undeliverable"] == [
        {"chat_id": ALICE, "error": "Forbidden: bot was blocked by the user"}
    ]
    assert status["uncertain"] == [{"key": "unknown", "chat_id": BOB}]
