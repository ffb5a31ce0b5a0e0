"""`/weblink` in the chat: admins and experts get a staff sign-in link, a bound agency
contact an agency link, strangers a refusal, and a group chat never a link."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import Update

from tests.builders import make_agency
from tests.chat import OfflineChat
from workflow.access.actors import Actor, Role
from workflow.access.grants import grant_role
from workflow.access.weblogins import peek_login, redeem_login
from workflow.core.db import transaction
from workflow.core.settings import Settings, load_settings
from workflow.reminders.models import AgencyContact

ADMIN_ID = 1001
EXPERT_ID = 2002
CONTACT_ID = 3003
STRANGER_ID = 9999
LINK = re.compile(r"https://web\.example\.cn/login/([A-Za-z0-9_-]{20,})")


@pytest.fixture
def chat_settings(settings: Settings) -> Settings:
    return load_settings(
        database_url=settings.database_url,
        admin_ids=[ADMIN_ID],
        web_base_url="https://web.example.cn",
    )


@pytest.fixture
async def chat(chat_settings: Settings, engine: Engine) -> AsyncIterator[OfflineChat]:
    async with OfflineChat(chat_settings, engine) as chat:
        yield chat


def _token(text: str) -> str:
    found = LINK.search(text)
    assert found is not None, text
    return found[1]


async def test_an_admin_gets_a_staff_link_that_signs_in_once(
    chat: OfflineChat, engine: Engine
) -> None:
    await chat.send(ADMIN_ID, "/weblink")
    text = chat.last_text(ADMIN_ID)
    assert "只能使用一次" in text and "72小时内有效" in text
    token = _token(text)
    with transaction(engine) as session:
        signed = redeem_login(session, token)
    assert (signed.kind, signed.actor_key, signed.agency_id) == ("staff", f"tg:{ADMIN_ID}", None)


async def test_an_expert_gets_a_staff_link(chat: OfflineChat, engine: Engine) -> None:
    with transaction(engine) as session:
        grant_role(session, f"tg:{EXPERT_ID}", Role.EXPERT, Actor.cli("王管理"))
    await chat.send(EXPERT_ID, "/weblink")
    with Session(engine) as session:
        login = peek_login(session, _token(chat.last_text(EXPERT_ID)))
    assert (login.kind, login.actor_key) == ("staff", f"tg:{EXPERT_ID}")


async def test_a_bound_contact_gets_a_link_for_their_agency(
    chat: OfflineChat, engine: Engine
) -> None:
    with transaction(engine) as session:
        agency = make_agency(session)
        assert agency.id is not None
        session.add(
            AgencyContact(agency_id=agency.id, telegram_user_id=CONTACT_ID, display_name="王")
        )
        agency_id = agency.id
    await chat.send(CONTACT_ID, "/weblink")
    with transaction(engine) as session:
        signed = redeem_login(session, _token(chat.last_text(CONTACT_ID)))
    assert (signed.kind, signed.actor_key, signed.agency_id) == (
        "agency",
        f"tg:{CONTACT_ID}",
        agency_id,
    )


async def test_a_stranger_is_refused_without_a_link(chat: OfflineChat) -> None:
    await chat.send(STRANGER_ID, "/weblink")
    text = chat.last_text(STRANGER_ID)
    assert text.startswith("您还不能获得网页登录链接")
    assert "/login/" not in text


async def test_a_group_chat_never_gets_a_link(chat: OfflineChat) -> None:
    update = Update.de_json(
        {
            "update_id": 999,
            "message": {
                "message_id": 500,
                "date": int(time.time()),
                "chat": {"id": -100123, "type": "group", "title": "专家组"},
                "from": {"id": ADMIN_ID, "is_bot": False, "first_name": "管理员"},
                "text": "/weblink",
                "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
            },
        },
        chat.app.bot,
    )
    await chat.app.process_update(update)
    assert chat.last_text(-100123) == "请在与机器人的私聊中使用此命令或按钮。"
    assert not any("/login/" in call.text for call in chat.request.sent())
