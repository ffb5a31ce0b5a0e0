"""A bot killed mid-survey resumes the unit at the same question: the state is in the database."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.demo.offline import error
from surveys.models import Submission, SurveyProgress
from tests.chat import OfflineChat
from tests.surveys.helpers import guided_units
from workflow.core.settings import Settings

STAFF = 7001


async def test_a_new_application_on_the_same_database_resumes_where_the_unit_was(
    settings: Settings, engine: Engine
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]

    async with OfflineChat(settings, engine) as first:
        await first.send(STAFF, f"/start {invitation.token}")
        await first.tap_label(STAFF, "3 分")
        await first.tap_label(STAFF, "1 分")
        live = first.keyboard_message(STAFF)
    # the process is gone; nothing of it survives but the database

    async with OfflineChat(settings, engine) as second:
        # a tap on the message the first process showed (question 3) still counts
        said = await second.tap(STAFF, f"sv:{invitation.id}:a:3:4", message_id=live.message_id)
        assert said[0].method == "answerCallbackQuery" and "text" not in said[0].params
        assert said[1].text.startswith("第 4/5 题")
        # a message instead of a tap shows the current question again
        said = await second.send(STAFF, "刚才断线了")
        assert said[1].text.startswith("第 4/5 题") and "1 分" not in said[1].text
        for label in ("2 分", "0 分", "提交"):
            await second.tap_label(STAFF, label)
        assert "提交成功" in second.last_text(STAFF)

    with Session(engine) as session:
        stored = session.exec(select(Submission)).one()
        assert (stored.item1, stored.item2, stored.item3, stored.item4, stored.item5) == (
            3,
            1,
            4,
            2,
            0,
        )
        assert session.exec(select(SurveyProgress)).one().position == 7


async def test_an_answer_saved_just_before_a_crash_is_not_lost(
    settings: Settings, engine: Engine
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
    async with OfflineChat(settings, engine) as first:
        await first.send(STAFF, f"/start {invitation.token}")
        # the answer is stored, then Telegram fails before the next question is shown
        first.request.responder = lambda method, _params: (
            error(500, "Internal Server Error") if method == "editMessageText" else None
        )
        await first.tap_label(STAFF, "4 分")
        assert len(first.errors) == 1  # the failed edit reached the error handler
        first.errors.clear()
    with Session(engine) as session:
        row = session.get(SurveyProgress, invitation.id)
        assert row is not None and (row.item1, row.position) == (4, 2)

    async with OfflineChat(settings, engine) as second:
        said = await second.send(STAFF, "你好")
        assert said[1].text.startswith("第 2/5 题")
