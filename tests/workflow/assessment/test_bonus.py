"""Art. 13 bonus items, recorded per creation unit and title, base or project:
"所指导的创建单位被命名为……的，每个单位每项称号加 1 分 / 2 分"; the same unit's same title
counts once, for one agency, in the year it was conferred."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from tests.workflow.assessment_builders import fill_sheet, full_points, new_agency
from workflow.assessment.bonus import AwardInput, add_award, remove_award
from workflow.assessment.sheets import sheet_view
from workflow.community.models import CreationUnit, Guidance
from workflow.core.errors import InvalidInput, Refused

YEAR = 2026


def _guided_unit(session: Session, agency_id: int, *years: int, name: str = "幸福里社区") -> int:
    unit = CreationUnit(name=name, district="东城区", safe_community=True)
    session.add(unit)
    session.flush()
    assert unit.id is not None
    for year in years or (YEAR,):
        session.add(Guidance(unit_id=unit.id, agency_id=agency_id, year=year))
    session.flush()
    return unit.id


def test_each_unit_and_title_is_one_case_with_its_points(session: Session) -> None:
    """Art. 13(1): B1 1 point per unit per title, B2 2 points; (2) B3 3 points per base;
    (3) B4 per project (policy, default 1)."""
    agency = new_agency(session)
    assert agency.id is not None
    unit = _guided_unit(session, agency.id)
    fill_sheet(session, agency.id, YEAR, full_points())
    cases = [
        AwardInput("B1", unit, "北京市安全社区", "命名文件"),
        AwardInput("B1", unit, "市级综合减灾示范社区", "命名文件"),  # a second title: counts
        AwardInput("B2", unit, "国际安全社区", "认证证书"),
        AwardInput("B3", unit, "幸福里公共安全宣传教育基地", "照片"),
        AwardInput("B4", None, "楼道消防通道整治项目", "市应急局推广通知"),
    ]
    for case in cases:
        add_award(session, agency.id, YEAR, case, actor="专家甲")
    view = sheet_view(session, agency.id, YEAR)
    assert view.bonus_counts == {"B1": 2, "B2": 1, "B3": 1, "B4": 1}
    evaluation = view.evaluation()
    assert evaluation is not None and evaluation.bonus == 1 + 1 + 2 + 3 + 1
    assert [a.title for a in view.awards if a.code == "B1"] == [
        "北京市安全社区",
        "北京市综合减灾示范社区",
    ]


def test_the_same_units_same_title_counts_once_naming_the_agency_that_has_it(
    session: Session,
) -> None:
    """Art. 13: a unit guided by two agencies counts its title for one of them only, and
    only in the year it was conferred; the refusal names the agency that has it."""
    first, second = new_agency(session), new_agency(session)
    assert first.id is not None and second.id is not None
    unit = _guided_unit(session, first.id, YEAR, YEAR + 1)
    session.add(Guidance(unit_id=unit, agency_id=second.id, year=YEAR))
    session.flush()
    add_award(
        session, first.id, YEAR, AwardInput("B1", unit, "北京市安全社区", "命名文件"), actor="x"
    )
    for agency_id, year in ((second.id, YEAR), (first.id, YEAR + 1), (first.id, YEAR)):
        with pytest.raises(Refused) as caught:
            case = AwardInput("B1", unit, " 北京市 安全社区", "命名文件")
            add_award(session, agency_id, year, case, actor="x")
        assert caught.value.key == "assessment.bonus.already_counted"
        assert first.name in str(caught.value) and "2026年" in str(caught.value)


def test_only_a_unit_the_agency_guided_that_year_and_a_listed_title_count(
    session: Session,
) -> None:
    """Art. 13 "所指导的创建单位": the unit needs a guidance record of that agency and year;
    B1 counts the municipal titles, B2 the national and international ones."""
    agency = new_agency(session)
    assert agency.id is not None
    last_year = _guided_unit(session, agency.id, YEAR - 1)
    unit = _guided_unit(session, agency.id, YEAR, name="和平里社区")
    refusals = [
        (AwardInput("B1", last_year, "北京市安全社区", "命名文件"), "assessment.bonus.not_guided"),
        (AwardInput("B1", None, "北京市安全社区", "命名文件"), "assessment.bonus.unit_required"),
        (AwardInput("B2", unit, "北京市安全社区", "x"), "assessment.bonus.unknown_title"),
        (AwardInput("B3", unit, " ", "x"), "assessment.bonus.b3_title_required"),
        (AwardInput("B4", None, "某项目", " "), "assessment.bonus_evidence_required"),
        (AwardInput("B9", None, "某项目", "x"), "assessment.unknown_bonus"),
    ]
    for case, key in refusals:
        with pytest.raises((InvalidInput, Refused)) as caught:
            add_award(session, agency.id, YEAR, case, actor="x")
        assert caught.value.key == key, case


def test_a_removed_case_can_be_recorded_again_on_the_right_sheet(session: Session) -> None:
    first, second = new_agency(session), new_agency(session)
    assert first.id is not None and second.id is not None
    unit = _guided_unit(session, first.id)
    session.add(Guidance(unit_id=unit, agency_id=second.id, year=YEAR))
    case = AwardInput("B2", unit, "全国综合减灾示范社区", "命名文件")
    award = add_award(session, first.id, YEAR, case, actor="x")
    remove_award(session, award.id or 0, actor="x")
    assert add_award(session, second.id, YEAR, case, actor="x").sheet_id != award.sheet_id
