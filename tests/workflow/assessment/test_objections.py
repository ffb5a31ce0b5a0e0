"""Art. 15 "文促会每年12月对咨询服务机构进行考核并公示" and RULES.md "Publication (公示,
Art. 15) and objections": results are published for a 公示 period (policy, 7 days from
the results date); during it an agency may object (异议); an admin records each
objection, the review and the outcome (upheld → the sheet is reopened and
re-finalised; dismissed → with reasons), all audited; exit decisions on ground 1 are
confirmed only after the period has ended with no open objection."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.workflow.assessment_builders import (
    ADMIN,
    after_questionnaire,
    assessed_agency,
    full_points,
)
from workflow.access.actors import Actor
from workflow.assessment import objections, publicity
from workflow.assessment.exits import confirm, propose
from workflow.assessment.finalising import finalise
from workflow.assessment.gate import finalised_evaluation
from workflow.assessment.publication import exit_list, open_period, write_exit_csv, write_exit_xlsx
from workflow.assessment.sheets import LineInput, enter_lines, sheet_view
from workflow.core.errors import InvalidInput, Refused
from workflow.core.settings import Settings, load_settings
from workflow.lifecycle.audit import history, verify
from workflow.lifecycle.engine import GuardsUnmet, advance
from workflow.registry.models import Agency

YEAR = 2026
# 31 Dec 2026, 10:00 in Beijing: the campaign's default results date
PUBLISHED = datetime(2026, 12, 31, 2, 0, tzinfo=UTC)
IN_PERIOD = datetime(2027, 1, 7, 8, 0, tzinfo=UTC)  # the last day, 16:00 in Beijing
AFTER = datetime(2027, 1, 8, 2, 0, tzinfo=UTC)  # the day after, 10:00 in Beijing


def _failed(session: Session, settings: Settings, name: str = "北京安和咨询有限公司") -> Agency:
    """Indicator 2.4 at 0: not passed (评分说明三), proposed for withdrawal on ground 1."""
    points = full_points()
    points["2.4"] = 0
    return assessed_agency(session, settings, points, year=YEAR, guided=(YEAR,), name=name)


def _passed(session: Session, settings: Settings, name: str = "北京平安咨询有限公司") -> Agency:
    return assessed_agency(session, settings, full_points(), year=YEAR, guided=(YEAR,), name=name)


def _publish(session: Session, settings: Settings, now: datetime = PUBLISHED) -> None:
    open_period(session, YEAR, ADMIN, settings, now=now)
    session.commit()


def _object(session: Session, settings: Settings, agency: Agency, **kw: object) -> int:
    made = objections.record(
        session,
        agency.id or 0,
        YEAR,
        kw.pop("reason", "指标 2.4 的风险辨识报告已提交，未计分"),  # type: ignore[arg-type]
        ADMIN,
        settings,
        now=kw.pop("now", IN_PERIOD),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )
    session.commit()
    assert made.id is not None
    return made.id


def _withdraw(session: Session, settings: Settings, agency: Agency, now: datetime) -> None:
    advance(
        session,
        agency.id or 0,
        "withdraw",
        ADMIN,
        "2026年度考核不合格",
        ground="unqualified",
        year=YEAR,
        settings=settings,
        now=now,
    )


# --- the period ---------------------------------------------------------------------


def test_the_period_runs_seven_days_from_the_results_date_and_is_kept(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        _passed(session, settings)
        period, opened = open_period(session, YEAR, ADMIN, settings, now=PUBLISHED)
        session.commit()
        assert opened and (period.starts, period.ends) == (date(2026, 12, 31), date(2027, 1, 7))
        entry = history_of_year(session)
        assert entry.reason == "2026年考核结果公示期：2026年12月31日至2027年1月7日"
        # a later change of the setting does not move a period already opened
        longer = load_settings(database_url=settings.database_url, publicity_days=15)
        again, opened = open_period(session, YEAR, ADMIN, longer, now=AFTER)
        assert not opened and again.ends == date(2027, 1, 7)


def history_of_year(session: Session):  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from workflow.lifecycle.models import AuditEntry

    return session.exec(select(AuditEntry).where(AuditEntry.trigger == "publication.open")).one()


def test_a_late_publication_gets_its_full_period(session: Session, settings: Settings) -> None:
    _passed(session, settings)
    late = datetime(2027, 1, 3, 2, 0, tzinfo=UTC)
    period, _ = open_period(session, YEAR, ADMIN, settings, now=late)
    assert (period.starts, period.ends) == (date(2027, 1, 3), date(2027, 1, 10))


def test_the_period_is_a_setting(session: Session, settings: Settings) -> None:
    _passed(session, settings)
    ten = load_settings(database_url=settings.database_url, publicity_days=10)
    period, _ = open_period(session, YEAR, ADMIN, ten, now=PUBLISHED)
    assert period.ends == date(2027, 1, 10)


# --- objections in and after the period -----------------------------------------------


def test_an_objection_in_the_period_is_recorded_and_audited(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        agency = _failed(session, settings)
        _publish(session, settings)
        objection_id = _object(session, settings, agency)
        last = history(session, agency.id or 0)[-1]
        assert (last.trigger, last.actor, last.subject) == (
            "objection.record",
            "cli:admin",
            f"objection:{objection_id}",
        )
        assert last.reason == "指标 2.4 的风险辨识报告已提交，未计分"
        assert [o.status for o, _ in objections.for_year(session, YEAR)] == ["open"]
        assert verify(session).ok


def test_an_objection_after_the_period_is_refused(session: Session, settings: Settings) -> None:
    agency = _failed(session, settings)
    _publish(session, settings)
    with pytest.raises(Refused) as refused:
        _object(session, settings, agency, now=AFTER)
    assert refused.value.key == "objection.outside_period"
    assert refused.value.message("zh") == (
        "2026年考核结果公示期为2026年12月31日至2027年1月7日，2027年1月8日不在公示期内，不能登记异议。"
    )
    # a letter received on the last day may be recorded the day after
    assert _object(session, settings, agency, now=AFTER, received_on=date(2027, 1, 7))


def test_no_objection_before_the_results_are_published(
    session: Session, settings: Settings
) -> None:
    agency = _failed(session, settings)
    with pytest.raises(Refused) as refused:
        _object(session, settings, agency)
    assert refused.value.key == "objection.not_published"
    assert "尚未公示" in refused.value.message("zh")


def test_an_objection_needs_a_reason_and_an_admin(session: Session, settings: Settings) -> None:
    agency = _failed(session, settings)
    _publish(session, settings)
    with pytest.raises(InvalidInput) as blank:
        _object(session, settings, agency, reason="  ")
    assert blank.value.key == "objection.reason_required"
    with pytest.raises(Refused) as stranger:
        objections.record(
            session, agency.id or 0, YEAR, "理由", Actor.telegram(999, "路人"), settings
        )
    assert stranger.value.key == "lifecycle.no_role"


# --- the decision ------------------------------------------------------------------


def test_upheld_reopens_the_sheet_and_the_result_changes(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        agency = _failed(session, settings)
        agency_id = agency.id or 0
        _publish(session, settings)
        objection_id = _object(session, settings, agency)
        objections.decide(
            session, objection_id, "upheld", "报告确已按时提交", ADMIN, settings, now=IN_PERIOD
        )
        session.commit()
        assert sheet_view(session, agency_id, YEAR).sheet.finalised_at is None  # reopened
        assert finalised_evaluation(session, agency_id, YEAR) is None
        # re-scored and re-finalised through the sheet services
        line = LineInput(5, content_present=True, evidence_present=True, effect="良好")
        enter_lines(session, agency_id, YEAR, {"2.4": line}, actor="expert", policy=settings)
        finalise(session, agency_id, YEAR, ADMIN, settings, now=after_questionnaire(YEAR))
        session.commit()
        session.refresh(agency)
        evaluation = finalised_evaluation(session, agency_id, YEAR)
        assert evaluation is not None and evaluation.passed and evaluation.base == 100
        assert agency.status == "assessed"  # no second `assess`: it stays where it was
        trail = [(e.trigger, e.reason) for e in history(session, agency_id)][-3:]
        assert trail == [
            ("objection.record", "指标 2.4 的风险辨识报告已提交，未计分"),
            ("objection.uphold", "报告确已按时提交"),
            (
                "assessment.refinalise",
                f"2026年考核评分表经异议（#{objection_id}）成立后重新评分并定稿",
            ),
        ]
        proposal = next(p for p in propose(session, YEAR, settings) if p.agency_id == agency_id)
        assert (proposal.decision, proposal.ground) == ("retain", None)
        assert exit_list(session, YEAR, settings) == []
        with pytest.raises(Refused) as twice:
            objections.decide(session, objection_id, "dismissed", "x", ADMIN, settings)
        assert twice.value.key == "objection.already_decided"


def test_dismissed_keeps_the_result_with_reasons(session: Session, settings: Settings) -> None:
    agency = _failed(session, settings)
    _publish(session, settings)
    objection_id = _object(session, settings, agency)
    with pytest.raises(InvalidInput) as blank:
        objections.decide(session, objection_id, "dismissed", "", ADMIN, settings)
    assert blank.value.key == "objection.reason_required"
    objections.decide(session, objection_id, "dismissed", "佐证材料缺少项目清单", ADMIN, settings)
    session.commit()
    evaluation = finalised_evaluation(session, agency.id or 0, YEAR)
    assert evaluation is not None and not evaluation.passed
    ((decided, _name),) = objections.for_year(session, YEAR)
    assert (decided.status, decided.decision_reason, decided.decided_by) == (
        "dismissed",
        "佐证材料缺少项目清单",
        "cli:admin",
    )
    last = history(session, agency.id or 0)[-1]
    assert (last.trigger, last.reason) == ("objection.dismiss", "佐证材料缺少项目清单")


# --- ground 1 waits for the period -----------------------------------------------------


def test_ground_one_exit_waits_for_the_period_and_open_objections(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        agency = _failed(session, settings)
        with pytest.raises(GuardsUnmet) as unpublished:
            _withdraw(session, settings, agency, IN_PERIOD)
        assert "2026年考核结果尚未公示" in unpublished.value.message("zh")
        _publish(session, settings)
        with pytest.raises(GuardsUnmet) as during:
            _withdraw(session, settings, agency, IN_PERIOD)
        assert during.value.message("zh") == (
            "不能执行“取消优先推荐资格”：公示期至 2027年1月7日，期满且无未处理异议后方可取消优先推荐资格。"
        )
        objection_id = _object(session, settings, agency)
        with pytest.raises(GuardsUnmet) as pending:
            confirm(session, YEAR, ADMIN, settings, agency.id, now=AFTER)
        assert f"该机构有 1 项异议（#{objection_id}）尚未处理" in pending.value.message("zh")
        objections.decide(session, objection_id, "dismissed", "理由不成立", ADMIN, settings)
        entries = confirm(session, YEAR, ADMIN, settings, agency.id, now=AFTER)
        session.commit()
        session.refresh(agency)
        assert agency.status == "withdrawn"
        assert (entries[0].ground, entries[0].trigger) == ("unqualified", "withdraw")


def test_a_passed_agency_may_be_retained_during_the_period(
    session: Session, settings: Settings
) -> None:
    """Only ground 1 waits (RULES.md): retaining a passed agency does not."""
    agency = _passed(session, settings)
    _publish(session, settings)
    confirm(session, YEAR, ADMIN, settings, agency.id, now=IN_PERIOD)
    session.commit()
    session.refresh(agency)
    assert agency.status == "retained"


def test_publicity_hold_reads_in_english(session: Session, settings: Settings) -> None:
    agency = _failed(session, settings)
    _publish(session, settings)
    assert publicity.exit_hold(session, agency.id or 0, YEAR, date(2027, 1, 7)) == (
        "lifecycle.unmet.in_publicity",
        {"ends": date(2027, 1, 7)},
    )
    with pytest.raises(GuardsUnmet) as during:
        _withdraw(session, settings, agency, IN_PERIOD)
    assert "the publication period runs until 2027-01-07" in during.value.message("en")


# --- the exit list --------------------------------------------------------------------


def test_the_exit_list_names_ground_one_with_the_reason_in_words(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    failed = _failed(session, settings)
    _passed(session, settings)
    rows = exit_list(session, YEAR, settings)
    assert [row.cells("zh") for row in rows] == [
        [
            1,
            "北京安和咨询有限公司",
            failed.credit_code,
            95,
            95,
            "年度考核不合格",
            "2026年度考核不合格：二级指标 2.4（指导创建单位开展风险辨识工作及设立项目）得 0 分，按评分说明第三条视为不通过",
        ]
    ]
    write_exit_xlsx(rows, YEAR, tmp_path / "list.xlsx", "zh")
    sheet = load_workbook(tmp_path / "list.xlsx").worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header == [
        "序号",
        "机构名称",
        "统一社会信用代码",
        "基本分",
        "总分",
        "取消依据（第十四条）",
        "理由",
    ]
    assert sheet.cell(2, 2).value == "北京安和咨询有限公司"
    write_exit_csv(rows, tmp_path / "list.csv", "zh")
    assert (tmp_path / "list.csv").read_bytes().startswith(b"\xef\xbb\xbf")
