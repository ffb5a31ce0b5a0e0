"""Which 公示 runs on a day: first and last day included; else the last and the next."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from workflow.assessment.models import Publication
from workflow.assessment.publicity import OnDay, Period, on_day


def test_the_period_running_on_a_day_else_the_last_and_the_next(session: Session) -> None:
    assert on_day(session, date(2026, 6, 1)) == OnDay(None, None, None)
    for year in (2025, 2026):
        session.add(
            Publication(
                year=year, starts=date(year, 12, 31), ends=date(year + 1, 1, 6), opened_by="王管理"
            )
        )
    session.commit()
    first = Period(2025, date(2025, 12, 31), date(2026, 1, 6))
    second = Period(2026, date(2026, 12, 31), date(2027, 1, 6))
    assert on_day(session, date(2025, 12, 31)) == OnDay(first, None, None)
    assert on_day(session, date(2026, 1, 6)) == OnDay(first, None, None)
    assert on_day(session, date(2026, 1, 7)) == OnDay(None, first, second)
    assert on_day(session, date(2026, 12, 30)) == OnDay(None, first, second)
    assert on_day(session, date(2027, 1, 6)) == OnDay(second, None, None)
    assert on_day(session, date(2027, 1, 7)) == OnDay(None, second, None)
    assert on_day(session, date(2025, 12, 30)) == OnDay(None, None, first)
