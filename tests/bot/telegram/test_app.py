"""The application's own fallbacks: nothing a person sends goes unanswered."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import Engine

from tests.chat import OfflineChat
from workflow.core.settings import Settings


@pytest.fixture
async def chat(settings: Settings, engine: Engine) -> AsyncIterator[OfflineChat]:
    async with OfflineChat(settings, engine) as chat:
        yield chat


async def test_an_unknown_command_points_to_help(chat: OfflineChat) -> None:
    await chat.send(42, "/frobnicate")
    assert "没有这个命令" in chat.last_text(42)


async def test_stray_text_gets_a_helpful_reply(chat: OfflineChat) -> None:
    await chat.send(42, "你好")
    assert "/help" in chat.last_text(42)


async def test_an_unknown_button_is_answered_and_changes_nothing(chat: OfflineChat) -> None:
    said = await chat.tap(42, "zz:forged", message_id=5)
    answers = [s for s in said if s.method == "answerCallbackQuery"]
    assert len(answers) == 1 and "已失效" in answers[0].params["text"]


async def test_help_for_someone_without_a_role(chat: OfflineChat) -> None:
    await chat.send(42, "/help")
    assert "/status" in chat.last_text(42) and "/advance" not in chat.last_text(42)


async def test_bare_start_explains_how_to_get_a_link(chat: OfflineChat) -> None:
    await chat.send(42, "/start")
    assert "专属链接" in chat.last_text(42)
    await chat.send(42, "/start no-such-token")
    assert "无效" in chat.last_text(42)


async def test_a_failing_button_handler_still_stops_the_spinner(chat: OfflineChat) -> None:
    from telegram.ext import CallbackQueryHandler

    async def broken(_update: object, _context: object) -> None:
        raise RuntimeError("boom")

    chat.app.add_handler(CallbackQueryHandler(broken, pattern="^boom$"), group=-1)
    said = await chat.tap(42, "boom", message_id=5)
    assert [c.method for c in said][:1] == ["answerCallbackQuery"]
    assert "出现了问题" in chat.last_text(42)
    assert [type(e) for e in chat.errors] == [RuntimeError]
    chat.errors.clear()  # the failure was the point of this test
