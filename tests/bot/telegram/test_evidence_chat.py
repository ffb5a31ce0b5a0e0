"""`/evidence ID [indicator]` in admin chat: a phone-sized overview, one indicator's
records and its files sent from storage (photos as photos), at most a few per command,
missing files named; strangers and group chats refused."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from telegram import Update

from bot.telegram import evidence as evidence_chat
from tests.chat import OfflineChat
from tests.workflow.guidance.desk_world import Year, recorded_year
from workflow.core.settings import Settings, load_settings

ADMIN_ID = 1001
STRANGER_ID = 9999


@pytest.fixture
def admin_settings(settings: Settings) -> Settings:
    return load_settings(database_url=settings.database_url, admin_ids=[ADMIN_ID])


@pytest.fixture
def year(engine: Engine, admin_settings: Settings, tmp_path: Path) -> Year:
    return recorded_year(engine, admin_settings, tmp_path)


@pytest.fixture
async def chat(admin_settings: Settings, engine: Engine) -> AsyncIterator[OfflineChat]:
    async with OfflineChat(admin_settings, engine) as chat:
        yield chat


async def test_the_overview_is_one_line_per_indicator(year: Year, chat: OfflineChat) -> None:
    await chat.send(ADMIN_ID, f"/evidence {year.world.agency_id} 2026")
    text = chat.last_text(ADMIN_ID)
    lines = text.splitlines()
    assert lines[0].endswith("2026年度工作佐证（指导创建单位 1 家）")
    assert "1.2 组织风险辨识培训会议：记录 2，文件 1 ⚠1，建议 有内容/有证据" in lines
    assert "2.2 指导创建单位建立工作领…：记录 0，文件 0，建议 无内容/无证据" in lines
    assert len(lines) == 2 + 14 and len(text) < 1000  # fits a phone
    assert not chat.calls("sendPhoto") and not chat.calls("sendDocument")


async def test_an_indicator_lists_its_records_and_sends_its_files(
    year: Year, chat: OfflineChat
) -> None:
    await chat.send(ADMIN_ID, f"/evidence {year.world.agency_id} 1.2 2026")
    said = chat.in_chat(ADMIN_ID)
    assert "【1.2】组织风险辨识培训会议\n系统建议：有此项内容，有证据" in said[0].text
    assert "⚠ 幸福里社区：培训 4 次，不少于 5 次，还差 1 次" in said[0].text
    assert "· 03-05 幸福里社区 培训（风险辨识）" in said[0].text
    (photo,) = chat.calls("sendPhoto")
    assert photo.params["caption"] == "1.2 幸福里社区 2026-03-05 培训（风险辨识） 签到表.jpg"
    await chat.send(ADMIN_ID, f"/evidence {year.world.agency_id} 4.2 2026")
    documents = chat.calls("sendDocument")
    assert [d.params["caption"].split()[-1] for d in documents] == [
        "项目书.pdf",
        "evidence.pdf",
        "a_kind_added_later.pdf",
    ]


async def test_files_beyond_the_limit_and_missing_files_are_named(
    year: Year, chat: OfflineChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "doc1.pdf").unlink()
    monkeypatch.setattr(evidence_chat, "MAX_FILES", 2)
    await chat.send(ADMIN_ID, f"/evidence {year.world.agency_id} 4.2 2026")
    texts = [c.text for c in chat.in_chat(ADMIN_ID) if c.method == "sendMessage"]
    assert "文件缺失（存储的文件未找到）：evidence.pdf" in texts
    assert texts[-1].startswith("另有 1 个文件未发送。可用命令行导出证据包：")
    assert len(chat.calls("sendDocument")) == 1


async def test_bad_input_gets_a_clear_reply(year: Year, chat: OfflineChat) -> None:
    await chat.send(ADMIN_ID, "/evidence")
    assert chat.last_text(ADMIN_ID) == "用法：/evidence 机构编号 [指标编号] [年份]"
    await chat.send(ADMIN_ID, f"/evidence {year.world.agency_id} 3.1 2026")
    assert chat.last_text(ADMIN_ID).startswith("“3.1”不是可查阅的指标。")
    await chat.send(ADMIN_ID, "/evidence 999 2026")
    assert "999" in chat.last_text(ADMIN_ID)


async def test_strangers_are_refused(year: Year, chat: OfflineChat) -> None:
    await chat.send(STRANGER_ID, f"/evidence {year.world.agency_id} 1.2 2026")
    assert "仅供文促会管理员和专家使用" in chat.last_text(STRANGER_ID)
    assert not chat.calls("sendPhoto") and not chat.calls("sendDocument")


async def test_a_group_chat_gets_no_evidence(year: Year, chat: OfflineChat) -> None:
    text = f"/evidence {year.world.agency_id} 1.2 2026"
    update = Update.de_json(
        {
            "update_id": 999,
            "message": {
                "message_id": 500,
                "date": int(time.time()),
                "chat": {"id": -100123, "type": "group", "title": "专家组"},
                "from": {"id": ADMIN_ID, "is_bot": False, "first_name": "管理员"},
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": 9}],
            },
        },
        chat.app.bot,
    )
    await chat.app.process_update(update)
    assert chat.last_text(-100123) == "请在与机器人的私聊中使用此命令或按钮。"
    assert not chat.calls("sendPhoto") and not chat.calls("sendDocument")
