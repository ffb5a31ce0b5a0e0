"""Art. 11 minimums counted from the record: 1(1) "推动创建单位召开创建工作启动会"; 1(2)
"培训工作，每家创建单位不少于5次"; 1(3) "按季度组织召开工作推进会"; 2(1) "总体方案、专项工作计划、
培训计划、风险辨识计划"; 2(4) "安全社区策划不少于15个具有特色的促进项目，综合减灾示范社区不限制"."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.workflow.guidance.helpers import YEAR, World, guided
from workflow.core.settings import Settings
from workflow.guidance.activities import parse_fields, record_activity
from workflow.guidance.minimums import Quarter, quarters_due, unit_records

REPORT_DUE = date(2026, 12, 15)


def _record(
    session: Session, world: World, settings: Settings, kind: str, day: str, **fields: object
) -> None:
    record_activity(
        session,
        world.agency_id,
        world.unit_id,
        YEAR,
        parse_fields(kind, day, **fields),  # type: ignore[arg-type]
        world.contact,
        settings,
        today=date(2026, 12, 10),
    )


def test_quarters_fall_due_when_they_end_and_the_last_at_the_deadline() -> None:
    start = date(2026, 2, 10)
    assert quarters_due(start, date(2026, 6, 30), REPORT_DUE) == [Quarter(2026, 1)]
    assert quarters_due(start, date(2026, 7, 1), REPORT_DUE) == [Quarter(2026, 1), Quarter(2026, 2)]
    at_deadline = quarters_due(start, REPORT_DUE, REPORT_DUE)
    assert at_deadline == [Quarter(2026, n) for n in (1, 2, 3, 4)]
    assert quarters_due(date(2026, 8, 1), date(2026, 12, 1), REPORT_DUE) == [Quarter(2026, 3)]


def test_a_deadline_in_the_next_year_asks_for_no_quarter_of_that_year() -> None:
    """Campaign dates may run to 31 March of the next year: the guidance year's four quarters
    are due, never the next year's first."""
    due = quarters_due(date(2026, 1, 1), date(2027, 2, 1), date(2027, 1, 20))
    assert due == [Quarter(2026, n) for n in (1, 2, 3, 4)]
    assert quarters_due(date(2026, 1, 1), date(2026, 12, 20), date(2027, 1, 20))[-1] == Quarter(
        2026, 3
    )


def test_shortfalls_against_the_article(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine) as session:
        world = guided(session)  # a safe community
        _record(session, world, settings, "启动会", "2026-01-15")
        for month in (2, 3, 4, 5):  # four trainings: one short of 5
            _record(session, world, settings, "培训", f"2026-{month:02d}-10", topic="建设理念")
        for day in ("2026-03-20", "2026-09-20"):  # Q2 and Q4 without a progress meeting
            _record(session, world, settings, "工作推进会", day)
        _record(session, world, settings, "方案计划", "2026-02-01", topic="总体方案")
        for n in range(12):
            _record(session, world, settings, "促进项目", "2026-05-01", title=f"项目{n}")
        session.commit()
        (record,) = unit_records(session, world.agency_id, YEAR, REPORT_DUE, settings)
        assert record.trainings == 4 and record.projects_safe == 12
        assert [q.label() for q in record.quarters_missing] == ["2026年第2季度", "2026年第4季度"]
        assert [s.message() for s in record.shortfalls] == [
            "培训 4 次，不少于 5 次，还差 1 次",
            "未记录工作推进会的季度：2026年第2季度、2026年第4季度",
            "未记录的方案计划：专项工作计划、培训计划、风险辨识计划",
            "安全社区促进项目 12 个，不少于 15 个，还差 3 个",
        ]


def test_a_disaster_reduction_community_has_no_project_minimum(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine) as session:
        world = guided(session, safe=False, disaster=True)
        session.commit()
        (record,) = unit_records(session, world.agency_id, YEAR, date(2026, 3, 1), settings)
        assert [s.code for s in record.shortfalls] == ["kickoff", "trainings", "plans"]
