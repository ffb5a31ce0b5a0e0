"""Issue 14, items 1 (forged buttons), 6, 7 and 8 in the chat: commands and presses answer
only in private chats, forged ids beyond any row are "no longer valid", uploads are checked
by content and refused for a withdrawn agency, and a press Telegram will not take an
answer for again is still shown as recorded."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from telegram import Update

from bot.demo.offline import error
from surveys.models import SurveyProgress
from tests.bot.telegram.test_agency_chat import documents, link_for, new_agency, stored_files
from tests.chat import OfflineChat
from tests.surveys.helpers import guided_units
from tests.workflow.lifecycle_steps import agency_in
from workflow.core.db import transaction
from workflow.core.settings import Settings, load_settings
from workflow.lifecycle.models import AuditEntry
from workflow.registry.models import Agency

ADMIN_ID, CONTACT = 1001, 3001
GROUP = -100123
PRIVATE_ONLY = "请在与机器人的私聊中使用此命令或按钮。"
TOO_OLD = "Bad Request: query is too old and response timeout expired or query id is invalid"


@pytest.fixture
def policy(tmp_path: Path) -> Settings:
    return load_settings(upload_dir=str(tmp_path / "uploads"), admin_ids=[ADMIN_ID])


@pytest.fixture
async def chat(any_engine: Engine, policy: Settings) -> AsyncIterator[OfflineChat]:
    async with OfflineChat(policy, any_engine) as chat:
        yield chat


def in_group(chat: OfflineChat, user: int, text: str) -> Update:
    """A message from `user` in a group the bot is a member of."""
    body: dict[str, Any] = {
        "message_id": 500,
        "date": int(time.time()),
        "chat": {"id": GROUP, "type": "group", "title": "专家组"},
        "from": {"id": user, "is_bot": False, "first_name": "管理员"},
        "text": text,
    }
    if text.startswith("/"):
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    update = Update.de_json({"update_id": 999, "message": body}, chat.app.bot)
    assert update is not None
    return update


def audit_rows(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(AuditEntry.id)).all())


@pytest.mark.parametrize(
    "command",
    [
        "/agencies",
        "/agency {id}",
        "/actions {id}",
        "/advance {id} review",
        "/history {id}",
        "/score {id}",
        "/survey 2026",
        "/remind",
        "/objection list",
        "/evidence {id}",
        "/status",
        "/record",
        "/weblink",
        "/help",
        "/start {token}",
    ],
)
async def test_a_command_in_a_group_gets_one_line_and_changes_nothing(
    chat: OfflineChat, any_engine: Engine, command: str
) -> None:
    agency = new_agency(any_engine)
    token = link_for(any_engine, agency)
    before = audit_rows(any_engine)
    text = command.format(id=agency.id, token=token)
    await chat.app.process_update(in_group(chat, ADMIN_ID, text))
    said = [call for call in chat.request.calls if call.method != "getMe"]
    assert [(call.method, call.text) for call in said] == [("sendMessage", PRIVATE_ONLY)]
    assert audit_rows(any_engine) == before
    with Session(any_engine) as session:
        assert session.exec(select(Agency.status)).all() == ["filed"]
    assert contacts_bound(any_engine) == 0


def contacts_bound(engine: Engine) -> int:
    from workflow.reminders.models import AgencyContact

    with Session(engine) as session:
        return len(session.exec(select(AgencyContact.id)).all())


async def test_a_press_in_a_group_is_answered_private_only(chat: OfflineChat) -> None:
    update = chat.updates.callback(ADMIN_ID, "ad:pg:agencies:all:0")
    assert update.callback_query is not None and update.callback_query.message is not None
    update = Update.de_json(
        {
            "update_id": 998,
            "callback_query": {
                **update.callback_query.to_dict(),
                "message": {
                    **update.callback_query.message.to_dict(),
                    "chat": {"id": GROUP, "type": "group", "title": "专家组"},
                },
            },
        },
        chat.app.bot,
    )
    assert update is not None
    await chat.app.process_update(update)
    answers = chat.calls("answerCallbackQuery")
    assert [call.params.get("text") for call in answers] == [PRIVATE_ONLY]
    assert chat.request.sent() == []


@pytest.mark.parametrize("data", ["sv:999999999999:s", "agdoc:999999999999:report"])
async def test_a_forged_button_beyond_any_row_id_is_no_longer_valid(
    chat: OfflineChat, data: str
) -> None:
    await chat.tap(CONTACT, data, message_id=7)  # the harness fails on any handler error
    (answer,) = chat.calls("answerCallbackQuery")
    assert answer.params["text"] in (
        "这个按钮已失效，请重新发送命令或重新打开链接。",
        "无法识别的按钮，未做任何更改。",
    )


# --- item 7 in the chat: content and withdrawn agencies -------------------------------------


async def bound_contact(chat: OfflineChat, engine: Engine, state: str = "filed") -> Agency:
    with transaction(engine) as session:
        agency = agency_in(session, state, load_settings(), name="甲咨询公司")
    await chat.send(CONTACT, f"/start {link_for(engine, agency)}")
    return agency


async def test_a_program_named_pdf_is_not_stored(
    chat: OfflineChat, any_engine: Engine, policy: Settings
) -> None:
    await bound_contact(chat, any_engine)
    await chat.send_document(
        CONTACT, "年度报告.pdf", "application/pdf", b"MZ\x90\x00", caption="报告"
    )
    assert "文件内容与扩展名“.pdf”不符" in chat.last_text(CONTACT)
    assert documents(any_engine) == [] and stored_files(policy) == []


async def test_a_withdrawn_agencys_contact_can_no_longer_hand_in(
    chat: OfflineChat, any_engine: Engine, policy: Settings
) -> None:
    await bound_contact(chat, any_engine, "withdrawn")
    await chat.send_document(CONTACT, "年度报告.pdf", "application/pdf", caption="报告")
    assert "本机构已退出，不能再提交材料" in chat.last_text(CONTACT)
    assert documents(any_engine) == [] and stored_files(policy) == []


# --- item 8: a press Telegram no longer takes an answer for ---------------------------------


async def test_a_press_too_old_to_answer_is_still_recorded_and_shown(
    any_engine: Engine, policy: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=1)
    invitation = guided.invitations[0]
    async with OfflineChat(policy, any_engine) as chat:
        await chat.send(CONTACT, f"/start {invitation.token}")
        chat.request.responder = lambda method, _params: (
            error(400, TOO_OLD) if method == "answerCallbackQuery" else None
        )
        with caplog.at_level(logging.INFO):
            await chat.tap_label(CONTACT, "4 分")
    with Session(any_engine) as session:
        progress = session.get(SurveyProgress, invitation.id)
        assert progress is not None and progress.item1 == 4
    texts = [call.text for call in chat.request.sent(CONTACT)]
    assert not any("未被记录" in text for text in texts)
    assert texts[-1].startswith("第 2/5 题")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
