"""The score sheet export with the experts' desk: beside each materials indicator the
recorded facts, and 有无此项内容 / 有无证据 pre-filled from the record (marked as
suggestions) that the expert confirms by leaving them or changes; the import still
requires an explicit value in every materials row."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.workflow.guidance.desk_world import Year, recorded_year
from tests.workflow.guidance.helpers import YEAR
from workflow.assessment.sheets import LineInput, enter_lines
from workflow.assessment.standard import STANDARD
from workflow.assessment.xlsx import COL, FIRST_ROW, export_sheet, read_sheet
from workflow.core.errors import InvalidInput
from workflow.core.settings import Settings

MATERIALS = [i.code for i in STANDARD.indicators if i.method == "materials"]


@pytest.fixture
def year(engine: Engine, settings: Settings, tmp_path: Path) -> Year:
    return recorded_year(engine, settings, tmp_path)


def _export(year: Year, settings: Settings, path: Path) -> None:
    with Session(year.engine) as session:
        export_sheet(session, year.world.agency_id, "机构", YEAR, path, settings, settings=settings)


def _row(code: str) -> int:
    return FIRST_ROW + STANDARD.codes.index(code)


def test_facts_and_marked_suggestions_stand_beside_each_materials_indicator(
    year: Year, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "sheet.xlsx"
    _export(year, settings, path)
    ws = load_workbook(path).worksheets[0]
    risk = _row("1.2")
    assert ws.cell(risk, COL["facts"]).value == (
        "培训（风险辨识） 2 次；培训合计 4 次（每家创建单位不少于 5 次，1 家不足）；文件 1 个\n"
        "系统建议：有此项内容，有证据"
    )
    content, evidence = ws.cell(risk, COL["content"]), ws.cell(risk, COL["evidence"])
    assert (content.value, evidence.value) == ("有", "有")
    assert content.fill.start_color.rgb.endswith("FFF2CC")
    assert content.comment is not None and "系统建议" in content.comment.text
    body = _row("2.2")
    assert (ws.cell(body, COL["content"]).value, ws.cell(body, COL["evidence"]).value) == (
        "无",
        "无",
    )
    survey = _row("3.1")
    assert ws.cell(survey, COL["facts"]).value is None
    assert ws.cell(survey, COL["content"]).value is None
    notes = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert any(str(n).startswith("标黄的“有无此项内容”“有无证据”为系统") for n in notes)


def test_a_suggestion_left_is_confirmed_and_a_changed_one_counts(
    year: Year, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "sheet.xlsx"
    _export(year, settings, path)
    book = load_workbook(path)
    ws = book.worksheets[0]
    for code in MATERIALS:
        ws.cell(_row(code), COL["points"], 0 if ws.cell(_row(code), 6).value == "无" else 2)
    ws.cell(_row("2.2"), COL["content"], "有")  # the expert saw the leading body on paper
    ws.cell(_row("2.2"), COL["points"], 2)
    book.save(path)
    filled = read_sheet(path, policy=settings)
    assert filled.lines["1.2"].content_present is True
    assert filled.lines["1.1"].evidence_present is False  # left as suggested: confirmed
    assert (filled.lines["2.2"].content_present, filled.lines["2.2"].evidence_present) == (
        True,
        False,
    )
    ws.cell(_row("2.3"), COL["content"]).value = None  # a cleared cell decides nothing
    book.save(path)
    with pytest.raises(InvalidInput) as refused:
        read_sheet(path, policy=settings)
    assert refused.value.key == "assessment.import.errors"
    assert f"F{_row('2.3')}" in str(refused.value)


def test_a_recorded_judgement_is_shown_not_overwritten(
    year: Year, settings: Settings, tmp_path: Path
) -> None:
    with Session(year.engine) as session:
        enter_lines(
            session,
            year.world.agency_id,
            YEAR,
            {"1.2": LineInput(points=3, content_present=True, evidence_present=False)},
            actor="专家",
            policy=settings,
        )
        session.commit()
    path = tmp_path / "sheet.xlsx"
    _export(year, settings, path)
    ws = load_workbook(path).worksheets[0]
    evidence = ws.cell(_row("1.2"), COL["evidence"])
    assert evidence.value == "无" and evidence.comment is None
    assert "系统建议：有此项内容，有证据" in ws.cell(_row("1.2"), COL["facts"]).value
