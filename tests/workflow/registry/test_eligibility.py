"""Art. 8 eligibility: each condition, in the article's order, with its reason."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.builders import make_agency
from workflow.core.i18n import set_language
from workflow.registry.eligibility import CONDITIONS, Eligibility, check_eligibility, service_months

TODAY = date(2026, 11, 26)


def _check(session: Session, today: date = TODAY, **agency: object) -> Eligibility:
    return check_eligibility(session, make_agency(session, **agency), today)  # type: ignore[arg-type]


def _reason(result: Eligibility, code: str) -> tuple[bool, str]:
    condition = next(c for c in result.conditions if c.code == code)
    return condition.passed, condition.reason


def test_all_conditions_met_in_article_order(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        result = _check(session)
    assert result.passed
    assert tuple(c.code for c in result.conditions) == CONDITIONS
    assert all(c.reason and c.title for c in result.conditions)


@pytest.mark.parametrize(
    ("consultants", "seniors", "code", "reason"),
    [
        (4, 2, "consultants", "咨询人员 4 名，少于 5 名"),
        (5, 2, "consultants", "咨询人员 5 名，不少于 5 名"),
        (6, 1, "senior_titles", "高级职称人员 1 名，少于 2 名"),
        (6, 2, "senior_titles", "高级职称人员 2 名，不少于 2 名"),
    ],
)
def test_consultants_and_senior_titles(
    engine: Engine, consultants: int, seniors: int, code: str, reason: str
) -> None:
    with Session(engine) as session:
        result = _check(session, consultants=consultants, seniors=seniors)
    passed, text = _reason(result, code)
    assert text == reason
    assert passed is ("不少于" in reason)
    assert result.passed is passed


def test_consultant_counts_on_postgres_too(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        result = _check(session, consultants=3, seniors=1)
    assert not result.passed
    assert [c.code for c in result.failed] == ["consultants", "senior_titles"]


@pytest.mark.parametrize(
    ("since", "today", "passed", "reason"),
    [
        (
            date(2024, 11, 26),
            date(2026, 11, 26),
            True,
            "自 2024-11-26 起从事相关服务2年0个月，满2年",
        ),
        (
            date(2024, 11, 27),
            date(2026, 11, 26),
            False,
            "自 2024-11-27 起从事相关服务1年11个月，不足2年",
        ),
        (
            date(2020, 2, 29),
            date(2022, 2, 28),
            False,
            "自 2020-02-29 起从事相关服务1年11个月，不足2年",
        ),
        (
            date(2020, 2, 29),
            date(2022, 3, 1),
            True,
            "自 2020-02-29 起从事相关服务2年0个月，满2年",
        ),
    ],
)
def test_two_years_of_service_calendar_exact(
    engine: Engine, since: date, today: date, passed: bool, reason: str
) -> None:
    with Session(engine) as session:
        result = _check(session, today, service_since=since)
    assert _reason(result, "service_years") == (passed, reason)


def test_service_start_unknown(engine: Engine) -> None:
    with Session(engine) as session:
        result = _check(session, service_since=None)
    assert _reason(result, "service_years") == (False, "未填写从事相关服务起始日期")


def test_service_months() -> None:
    assert service_months(date(2020, 1, 31), date(2020, 3, 30)) == 1
    assert service_months(date(2020, 1, 31), date(2020, 3, 31)) == 2
    assert service_months(date(2027, 1, 1), date(2026, 1, 1)) == 0


def test_legal_person_office_names_what_is_missing(engine: Engine) -> None:
    with Session(engine) as session:
        result = _check(session, independent_legal_person=False, fixed_office=False)
    assert _reason(result, "legal_person_office") == (False, "不具有独立法人资格；无固定办公场所")


def test_admin_staff_documents_and_violations(engine: Engine) -> None:
    with Session(engine) as session:
        result = _check(
            session,
            admin_staff="",
            licences_complete=False,
            violation_record="2024 年因虚假宣传被处罚",
        )
    assert [c.code for c in result.failed] == ["admin_staff", "documents", "no_violation"]
    assert _reason(result, "documents") == (False, "证照不齐全")
    assert _reason(result, "no_violation") == (False, "有违法行为记录：2024 年因虚假宣传被处罚")


def test_reasons_in_english(engine: Engine) -> None:
    set_language("en")
    with Session(engine) as session:
        result = _check(session, consultants=4)
    assert _reason(result, "consultants") == (False, "4 consultants, fewer than 5")
    assert result.as_dict()["conditions"][5]["reason"] == "4 consultants, fewer than 5"
