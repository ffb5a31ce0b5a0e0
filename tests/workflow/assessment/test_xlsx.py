"""The official table as xlsx: layout, round trip, and refusals that list row and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.workflow.assessment_builders import (
    add_bonus_case,
    fill_sheet,
    new_agency,
    points_totalling,
)
from workflow.assessment.evaluation import evaluate
from workflow.assessment.models import ScoreLine, ScoreSheet
from workflow.assessment.sheets import sheet_view
from workflow.assessment.standard import STANDARD
from workflow.assessment.xlsx import (
    COL,
    FIRST_ROW,
    export_sheet,
    import_sheet,
    read_sheet,
)
from workflow.core.errors import InvalidInput, Refused

YEAR = 2026


def _rows(path: Path) -> dict[str, int]:
    ws = load_workbook(path).worksheets[0]
    return {
        str(ws.cell(r, COL["code"]).value): r
        for r in range(FIRST_ROW, ws.max_row + 1)
        if ws.cell(r, COL["code"]).value
    }


def _blank_form(session: Session, tmp_path: Path) -> tuple[int, Path]:
    agency = new_agency(session)
    assert agency.id is not None
    path = tmp_path / "blank.xlsx"
    assert export_sheet(session, agency.id, agency.name, YEAR, path) is None
    return agency.id, path


def _fill(path: Path, points: dict[str, int], bonus: dict[str, int], **cells: object) -> None:
    book = load_workbook(path)
    ws = book.worksheets[0]
    rows = _rows(path)
    for code, value in points.items():
        ws.cell(rows[code], COL["points"], value)
        if code not in STANDARD.questionnaire_codes:
            ws.cell(rows[code], COL["content"], "有")
            ws.cell(rows[code], COL["evidence"], "无" if code == "1.4" else "有")
            ws.cell(rows[code], COL["effect"], "较好")
    for code, count in bonus.items():
        ws.cell(rows[code], COL["content"], count)
        ws.cell(rows[code], COL["note"], f"{code} 证书复印件")
    for ref, value in cells.items():
        ws[ref] = value
    book.save(path)


def test_layout_follows_the_official_table(session: Session, tmp_path: Path) -> None:
    _, path = _blank_form(session, tmp_path)
    ws = load_workbook(path).worksheets[0]
    assert [ws.cell(3, c).value for c in (1, 3, 4, 5, 9)] == [
        "一级指标",
        "二级指标",
        "评定方法",
        "分值",
        "得分",
    ]
    assert ws.cell(FIRST_ROW, 1).value == "组织工作\n(25分)"
    assert ws.cell(FIRST_ROW, 4).value == "查阅材料" and ws.cell(FIRST_ROW, 5).value == "5分"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A4:A7", "A8:A12", "A13:A17", "A18:A20"} <= merged
    rows = _rows(path)
    assert ws.cell(rows["3.1"], 4).value == "问卷"
    assert ws.cell(rows["B1"], 5).value == "1分/家次"
    assert ws.cell(rows["B4"], 5).value == "1分/项"  # the b4_points policy
    assert [c for c in rows if c != "编号"] == [*STANDARD.codes, *STANDARD.bonus_codes]


def test_round_trip_gives_the_same_evaluation(any_engine: Engine, tmp_path: Path) -> None:
    points = points_totalling(83)
    points["1.4"], points["4.3"] = 3, points["4.3"] + 3  # 1.4 has no evidence: at most 3 of 6
    bonus = {"B1": 2, "B3": 1}
    with Session(any_engine) as session:
        agency_id, path = _blank_form(session, tmp_path)
        for code, count in bonus.items():  # Art. 13: cases are recorded one by one
            for case in range(1, count + 1):
                add_bonus_case(session, agency_id, YEAR, code, case)
        session.commit()
        _fill(path, points, bonus)  # the same counts: the bonus rows change nothing
        import_sheet(session, path, actor="专家乙")
        session.commit()
        view = sheet_view(session, agency_id, YEAR)
        assert view.evaluation() == evaluate(points, bonus)
        assert view.sheet.questionnaire_source == "admin"
        assert view.lines["1.4"].evidence_present is False
        assert view.bonus == {} and len(view.awards) == 3
        # export the stored sheet and import it again: nothing changes
        again = tmp_path / "again.xlsx"
        export_sheet(session, agency_id, "x", YEAR, again)
        ws = load_workbook(again).worksheets[0]
        totals = [ws.cell(r, COL["points"]).value for r in range(1, ws.max_row + 1)]
        assert 83 in totals and 88 in totals and "合格" in totals and "考核通过" in totals
        import_sheet(session, again, actor="专家乙")
        session.commit()
        assert sheet_view(session, agency_id, YEAR).evaluation() == evaluate(points, bonus)


def test_questionnaire_points_from_the_survey_keep_their_source(
    session: Session, tmp_path: Path
) -> None:
    agency = new_agency(session)
    assert agency.id is not None
    fill_sheet(session, agency.id, YEAR, points_totalling(90))
    path = tmp_path / "sheet.xlsx"
    export_sheet(session, agency.id, agency.name, YEAR, path)
    import_sheet(session, path, actor="专家")
    session.commit()
    assert sheet_view(session, agency.id, YEAR).sheet.questionnaire_source == "survey"


def test_every_bad_cell_is_listed_and_nothing_is_saved(any_engine: Engine, tmp_path: Path) -> None:
    with Session(any_engine) as session:
        _, path = _blank_form(session, tmp_path)
        points: dict[str, object] = dict(points_totalling(80))
        points.update({"1.1": 9, "1.2": -1, "1.3": 2.5, "2.1": "很好", "2.2": "--3"})
        del points["4.3"]
        _fill(path, points, {})  # type: ignore[arg-type]
        rows = _rows(path)
        book = load_workbook(path)
        ws = book.worksheets[0]
        ws.cell(rows["B4"], COL["code"], "B9")
        ws.cell(rows["4.2"], COL["code"], "4.9")
        ws.cell(rows["B2"], COL["content"], 1)  # a bonus count without evidence
        ws.cell(rows["2.2"], COL["content"], "也许")
        book.save(path)
        with pytest.raises(InvalidInput) as caught:
            import_sheet(session, path, actor="x")
        message = caught.value.message("zh")
        assert message.startswith("表格有误，未保存任何内容：")
        for expected in (
            f"I{rows['1.1']} 格：指标 1.1 的得分 9 超出范围，应为 0–5 分",
            f"I{rows['1.2']} 格：指标 1.2 的得分 -1 超出范围",
            f"I{rows['1.3']} 格：“2.5”不是整数",
            f"I{rows['2.1']} 格：“很好”不是整数",
            f"I{rows['2.2']} 格：“--3”不是整数",
            f"F{rows['2.2']} 格：“也许”应填“有”或“无”",
            f"I{rows['4.3']} 格：指标 4.3 需要填写得分",
            f"F{rows['4.3']} 格：“有无此项内容”不能留空，应填“有”或“无”",
            f"G{rows['4.3']} 格：“有无证据”不能留空，应填“有”或“无”",
            f"I{rows['1.4']} 格：指标 1.4 记为“无证据”，按评分说明第二条最多得 3 分（满分 6 分的 50%",
            f"J{rows['B2']} 格：加分项 B2 需要填写佐证说明",
            f"B{rows['B4']} 格：未知的加分项编号 B9",
            f"B{rows['4.2']} 格：未知的指标编号 4.9",
            "表中缺少 B4 这一行",
        ):
            assert expected in message
        session.rollback()
        assert session.exec(select(ScoreSheet)).all() == []
        assert session.exec(select(ScoreLine)).all() == []


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(InvalidInput, match="不是 Excel 工作簿"):
        read_sheet(path)


def test_half_filled_questionnaire_rows_are_refused(session: Session, tmp_path: Path) -> None:
    _, path = _blank_form(session, tmp_path)
    points = points_totalling(80)
    del points["3.5"]
    _fill(path, points, {})
    with pytest.raises(InvalidInput, match=r"3\.1–3\.5 要么全部填写"):
        read_sheet(path)


def test_no_content_means_zero(session: Session, tmp_path: Path) -> None:
    _, path = _blank_form(session, tmp_path)
    points = points_totalling(80)
    _fill(path, points, {})
    rows = _rows(path)
    book = load_workbook(path)
    ws = book.worksheets[0]
    ws.cell(rows["2.3"], COL["content"], "无")
    ws.cell(rows["2.3"], COL["points"]).value = None
    ws.cell(rows["2.5"], COL["content"], "无")  # but 2.5 still has points: refused
    book.save(path)
    with pytest.raises(InvalidInput) as caught:
        read_sheet(path)
    assert "2.5" in str(caught.value) and "2.3" not in str(caught.value)


# 评分说明二: content (有无此项内容) and evidence (有无证据) are recorded for every materials
# indicator, explicitly; the effect (效果) is the third part and is kept.


def test_a_blank_content_or_evidence_cell_is_an_error_not_present(
    session: Session, tmp_path: Path
) -> None:
    _, path = _blank_form(session, tmp_path)
    points = points_totalling(80)
    points["1.4"] = 3
    _fill(path, points, {})
    rows = _rows(path)
    book = load_workbook(path)
    ws = book.worksheets[0]
    ws.cell(rows["2.1"], COL["content"]).value = None
    ws.cell(rows["4.2"], COL["evidence"]).value = "  "
    book.save(path)
    with pytest.raises(InvalidInput) as caught:
        read_sheet(path)
    assert caught.value.key == "assessment.import.errors"
    message = caught.value.message("zh")
    assert f"F{rows['2.1']} 格：“有无此项内容”不能留空，应填“有”或“无”" in message
    assert f"G{rows['4.2']} 格：“有无证据”不能留空，应填“有”或“无”" in message
    assert message.count("不能留空") == 2


def test_no_evidence_over_the_cap_is_refused_on_import(session: Session, tmp_path: Path) -> None:
    """Default policy: no evidence → at most half the maximum, rounded down (1.4: 3 of 6)."""
    _, path = _blank_form(session, tmp_path)
    points = points_totalling(80)
    points["1.4"] = 4
    _fill(path, points, {})
    with pytest.raises(InvalidInput) as caught:
        read_sheet(path)
    assert "指标 1.4 记为“无证据”，按评分说明第二条最多得 3 分" in caught.value.message("zh")


def test_the_effect_is_exported_and_imported(session: Session, tmp_path: Path) -> None:
    agency_id, path = _blank_form(session, tmp_path)
    points = points_totalling(80)
    points["1.4"] = 3
    _fill(path, points, {})
    rows = _rows(path)
    book = load_workbook(path)
    book.worksheets[0].cell(rows["2.4"], COL["effect"], "项目 16 个，已全部落实")
    book.save(path)
    import_sheet(session, path, actor="专家")
    session.commit()
    assert sheet_view(session, agency_id, YEAR).lines["2.4"].effect == "项目 16 个，已全部落实"
    again = tmp_path / "again.xlsx"
    export_sheet(session, agency_id, "x", YEAR, again)
    ws = load_workbook(again).worksheets[0]
    row = _rows(again)["2.4"]
    assert ws.cell(3, COL["effect"]).value == "效果"
    assert (ws.cell(row, COL["content"]).value, ws.cell(row, COL["evidence"]).value) == ("有", "有")
    assert ws.cell(row, COL["effect"]).value == "项目 16 个，已全部落实"
    notes = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert "无证据的指标最多得该项分值的 50%（向下取整）。" in notes


def test_a_higher_bonus_count_in_the_table_is_refused(any_engine: Engine, tmp_path: Path) -> None:
    """Art. 13: bonus cases are recorded per creation unit and title, so a count typed into
    the table cannot add cases; nothing of the file is saved."""
    with Session(any_engine) as session:
        _, path = _blank_form(session, tmp_path)
        points = points_totalling(80)
        points["1.4"], points["4.3"] = 3, points["4.3"] + 3  # _fill marks 1.4 without evidence
        _fill(path, points, {"B2": 1})
        with pytest.raises(Refused) as caught:
            import_sheet(session, path, actor="专家乙")
        assert caught.value.key == "assessment.bonus.count_only"
