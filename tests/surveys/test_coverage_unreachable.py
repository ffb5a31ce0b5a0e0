"""A unit whose staff blocked the bot is flagged in the coverage report (CLI, xlsx, chat)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from surveys.answering import open_survey
from surveys.coverage import coverage, write_xlsx
from surveys.respondents import Respondent
from tests.surveys.helpers import OPEN_YEAR, guided_units
from workflow.core.clock import utcnow
from workflow.core.settings import Settings
from workflow.reminders import models, outbox
from workflow.reminders.plan import Reminder

BLOCKER, FRIENDLY = 7701, 7702


def block(session: Session, chat_id: int) -> None:
    """What the sender records when Telegram answers 403 for `chat_id`."""
    now = utcnow()
    key = f"unit:{chat_id}:test"
    outbox.enqueue(
        session, [Reminder(chat_id, "unit_questionnaire", key, now - timedelta(hours=1))], now
    )
    (row,) = outbox.reserve(session, now, 10, "test")
    assert row.id is not None and outbox.claim(session, row.id, now, "test")
    outbox.mark_undeliverable(session, row.id, "Forbidden: bot was blocked by the user")


def test_blocked_units_are_flagged(any_engine: Engine, settings: Settings, tmp_path: Path) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=3)
        open_survey(session, guided.invitations[0].token, Respondent.telegram(BLOCKER), settings)
        open_survey(session, guided.invitations[1].token, Respondent.telegram(FRIENDLY), settings)
        block(session, BLOCKER)
        session.commit()
        rows = {row.unit_id: row for row in coverage(session, OPEN_YEAR)}
    flags = [rows[unit.id].unreachable for unit in guided.units]
    assert flags == [True, False, False]

    path = write_xlsx(list(rows.values()), tmp_path / "coverage.xlsx", OPEN_YEAR, settings)
    units = load_workbook(path).worksheets[1]
    header = [cell.value for cell in units[1]]
    column = header.index("提醒送达")
    marks = [row[column].value for row in units.iter_rows(min_row=2)]
    assert marks.count("无法送达（已屏蔽机器人）") == 1


def test_undeliverable_is_per_chat_not_per_row(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        block(session, BLOCKER)
        session.commit()
        assert [chat for chat, _, _ in outbox.undeliverable_chats(session)] == [BLOCKER]
        assert session.exec(select(models.Outbox)).one().state == models.UNDELIVERABLE
