"""Admin and agency commands answer only in a private chat: in a group they say where
to ask and show nothing (credit codes, reasons, chat ids, sign-in links)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from telegram import Update

from tests.chat import OfflineChat
from workflow.core.settings import Settings, load_settings
from workflow.lifecycle.models import AuditEntry

ADMIN_ID = 1001
GROUP_ID = -100123
PRIVATE_ONLY = "此命令只能在与本机器人的私聊中使用，请私聊机器人发送。"
COMMANDS = [
    "/agencies",
    "/agency 1",
    "/actions 1",
    "/advance 1 review",
    "/history 1",
    "/score 1 2026",
    "/survey 2026",
    "/remind",
    "/objection",
    "/evidence 1 2026",
    "/status",
    "/record",
]


@pytest.fixture
async def chat(settings: Settings, engine: Engine) -> AsyncIterator[OfflineChat]:
    admin = load_settings(database_url=settings.database_url, admin_ids=[ADMIN_ID])
    async with OfflineChat(admin, engine) as chat:
        yield chat


def _in_group(chat: OfflineChat, **fields: Any) -> Update:
    message = {
        "message_id": 500,
        "date": int(time.time()),
        "chat": {"id": GROUP_ID, "type": "group", "title": "专家组"},
        "from": {"id": ADMIN_ID, "is_bot": False, "first_name": "管理员"},
    }
    if "text" in fields:
        command = fields["text"].split()[0]
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return Update.de_json({"update_id": 999, "message": message | fields}, chat.app.bot)
    query = {
        "id": "q1",
        "from": message["from"],
        "chat_instance": "group",
        "message": message | {"text": "…"},
        **fields,
    }
    return Update.de_json({"update_id": 999, "callback_query": query}, chat.app.bot)


def _entries(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(AuditEntry)).one()


@pytest.mark.parametrize("command", COMMANDS)
async def test_a_command_in_a_group_says_where_to_ask_and_nothing_else(
    chat: OfflineChat, engine: Engine, command: str
) -> None:
    before = _entries(engine)
    await chat.app.process_update(_in_group(chat, text=command))
    said = chat.in_chat(GROUP_ID)
    assert [call.text for call in said] == [PRIVATE_ONLY]
    assert not chat.calls("sendPhoto") and not chat.calls("sendDocument")
    assert _entries(engine) == before


async def test_weblink_in_a_group_keeps_its_own_explanation(chat: OfflineChat) -> None:
    await chat.app.process_update(_in_group(chat, text="/weblink"))
    assert chat.last_text(GROUP_ID).startswith("网页登录链接只能在与本机器人的私聊中获取")


@pytest.mark.parametrize("data", ["ad:pg:agencies:2", "ad:ok:1", "rec:menu", "agdoc:1:report"])
async def test_a_staff_or_agency_button_pressed_in_a_group_changes_nothing(
    chat: OfflineChat, engine: Engine, data: str
) -> None:
    before = _entries(engine)
    await chat.app.process_update(_in_group(chat, data=data))
    (answer,) = chat.calls("answerCallbackQuery")
    assert answer.params["text"] == PRIVATE_ONLY
    assert not chat.in_chat(GROUP_ID)
    assert _entries(engine) == before
