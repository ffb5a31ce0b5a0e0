"""Bonus counts are bounded (issue 14 item 1): a count of 10**12 is refused, not saved or graded."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.workflow.assessment.test_xlsx import _blank_form, _fill, _rows
from tests.workflow.assessment_builders import fill_sheet, new_agency, points_totalling
from workflow.assessment.bonus import AwardInput, add_award
from workflow.assessment.evaluation import BONUS_COUNT_MAX, check_bonus_count, evaluate
from workflow.assessment.models import BonusEntry, ScoreLine, ScoreSheet
from workflow.assessment.sheets import BonusInput, editable_sheet, set_bonus, sheet_view
from workflow.assessment.xlsx import COL, import_sheet
from workflow.community.models import CreationUnit, Guidance
from workflow.core.errors import InvalidInput
from workflow.core.settings import load_settings

YEAR = 2026
UNCAPPED = load_settings(final_score_cap=None)


def test_a_count_up_to_the_bound_is_read_and_one_more_is_refused() -> None:
    assert check_bonus_count("B1", BONUS_COUNT_MAX) == BONUS_COUNT_MAX
    with pytest.raises(InvalidInput, match="一年最多 1000 项") as caught:
        check_bonus_count("B1", BONUS_COUNT_MAX + 1)
    assert caught.value.key == "assessment.bonus_too_many"


def test_a_huge_count_cannot_be_graded_even_with_the_cap_lifted() -> None:
    with pytest.raises(InvalidInput, match="一年最多"):
        evaluate(points_totalling(70), {"B1": 10**12}, policy=UNCAPPED)


def test_b1_of_10_to_the_12_is_refused_nothing_saved_grade_unchanged(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        agency = new_agency(session)
        assert agency.id is not None
        fill_sheet(session, agency.id, YEAR, points_totalling(75), {"B1": 1})
        before = sheet_view(session, agency.id, YEAR)
        grade = before.evaluation(UNCAPPED)
        assert grade is not None and grade.grade == "qualified"
        with pytest.raises(InvalidInput, match="一年最多") as caught:
            set_bonus(session, agency.id, YEAR, {"B1": BonusInput(10**12, "佐证")}, actor="x")
        assert caught.value.key == "assessment.bonus_too_many"
        session.rollback()
        after = sheet_view(session, agency.id, YEAR)
        assert after.bonus_counts == before.bonus_counts == {"B1": 1}
        assert session.exec(select(BonusEntry)).all() == []
        again = after.evaluation(UNCAPPED)
        assert again is not None and (again.final, again.grade) == (grade.final, "qualified")


@pytest.mark.parametrize(("count", "refusal"), [(10**12, "一年最多"), ("9" * 5000, "不是整数")])
def test_a_huge_count_in_an_imported_table_is_listed_and_nothing_saved(
    any_engine: Engine, tmp_path: Path, count: object, refusal: str
) -> None:
    """10**12 is over the bound; 5000 typed digits crashed `int` before (ValueError)."""
    with Session(any_engine) as session:
        _, path = _blank_form(session, tmp_path)
        points = points_totalling(80)
        points["1.4"], points["4.3"] = 3, points["4.3"] + 3  # _fill marks 1.4 without evidence
        _fill(path, points, {"B1": 1})
        book = load_workbook(path)
        book.worksheets[0].cell(_rows(path)["B1"], COL["content"], count)
        book.save(path)
        with pytest.raises(InvalidInput, match=refusal) as caught:
            import_sheet(session, path, actor="专家乙")
        assert caught.value.key == "assessment.import.errors"
        assert str(caught.value).count("格：") == 1  # only the count cell is wrong
        session.rollback()
        assert session.exec(select(ScoreSheet)).all() == []
        assert session.exec(select(ScoreLine)).all() == []


def test_no_case_is_recorded_beyond_the_bound(any_engine: Engine) -> None:
    """Cases recorded one by one cannot pass the bound either: the sheet would not grade."""
    with Session(any_engine) as session:
        agency = new_agency(session)
        assert agency.id is not None
        sheet = editable_sheet(session, agency.id, YEAR, "x")
        assert sheet.id is not None
        legacy = BonusEntry(sheet_id=sheet.id, code="B4", count=BONUS_COUNT_MAX, entered_by="x")
        session.add(legacy)
        session.commit()
        with pytest.raises(InvalidInput, match="一年最多 1000 项"):
            add_award(session, agency.id, YEAR, AwardInput("B4", None, "新项目", "佐证"), actor="x")
        session.rollback()
        assert sheet_view(session, agency.id, YEAR).bonus_counts == {"B4": BONUS_COUNT_MAX}
        unit = CreationUnit(name="幸福里社区", district="东城区", safe_community=True)
        session.add(unit)
        session.flush()
        assert unit.id is not None
        session.add(Guidance(unit_id=unit.id, agency_id=agency.id, year=YEAR))
        given = AwardInput("B1", unit.id, "北京市安全社区", "佐证")
        assert add_award(session, agency.id, YEAR, given, actor="x").code == "B1"  # another item
