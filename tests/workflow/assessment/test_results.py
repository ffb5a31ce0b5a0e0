"""The year's results: ranking, the reason column, xlsx, csv with BOM, and the PNG chart."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.workflow.assessment_builders import (
    assessed_agency,
    filed_agency,
    fill_sheet,
    full_points,
    points_totalling,
)
from workflow.assessment.results import cjk_font, write_chart, write_csv, write_xlsx, year_results
from workflow.core.settings import Settings

YEAR = 2026


def _assessed(
    session: Session,
    settings: Settings,
    name: str,
    points: dict[str, int],
    bonus: dict[str, int] | None = None,
) -> None:
    assessed_agency(session, settings, points, year=YEAR, bonus=bonus, name=name)


def _zero_at_2_4() -> dict[str, int]:
    points = full_points()
    points["2.4"] = 0
    return points


def test_ranked_by_final_then_base_then_name(
    any_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    with Session(any_engine) as session:
        _assessed(session, settings, "丙公司", points_totalling(80), {"B1": 2})  # 82, base 80
        _assessed(session, settings, "乙公司", points_totalling(82))  # 82, base 82
        _assessed(session, settings, "甲公司", points_totalling(82))  # 82, base 82
        _assessed(session, settings, "丁公司", points_totalling(65))
        _assessed(session, settings, "戊公司", _zero_at_2_4())  # 95 but a zero
        draft = filed_agency(session, settings, name="己公司")
        fill_sheet(session, draft.id or 0, YEAR, points_totalling(99))  # not finalised: not listed
        rows = year_results(session, YEAR, settings)
    assert [(r.rank, r.agency_name, r.evaluation.final) for r in rows] == [
        (1, "戊公司", 95),
        (2, "乙公司", 82),
        (3, "甲公司", 82),
        (4, "丙公司", 82),
        (5, "丁公司", 65),
    ]
    passed = (
        "base score {}, at or above the pass mark of 70;"
        " final score 82, below the excellent mark of 90"
    )
    zero = (
        "second-level indicator 2.4 (Guiding risk identification and the setting up of"
        " projects) scored 0, which fails the assessment (scoring note 3)"
    )
    assert [r.cells("en")[5:] for r in rows] == [
        ["unqualified", "not passed", zero],
        ["qualified", "passed", passed.format(82)],
        ["qualified", "passed", passed.format(82)],
        ["qualified", "passed", passed.format(80)],
        ["unqualified", "not passed", "base score 65, below the pass mark of 70"],
    ]

    write_xlsx(rows, YEAR, tmp_path / "r.xlsx", "zh")
    sheet = load_workbook(tmp_path / "r.xlsx").worksheets[0]
    assert [c.value for c in sheet[1]] == [
        "名次",
        "机构",
        "基本分",
        "加分",
        "总分",
        "等级",
        "考核结果",
        "说明",
    ]
    assert [c.value for c in sheet[2]] == [
        1,
        "戊公司",
        95,
        0,
        95,
        "不合格",
        "考核不通过",
        "二级指标 2.4（指导创建单位开展风险辨识工作及设立项目）得 0 分，按评分说明第三条视为不通过",
    ]

    write_csv(rows, tmp_path / "r.csv", "zh")
    raw = (tmp_path / "r.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "名次,机构,基本分,加分,总分,等级,考核结果,说明"
    assert lines[4] == (
        "4,丙公司,80,2,82,合格,考核通过,基本分 80 分，达到合格线 70 分；总分 82 分，低于优秀线 90 分"
    )

    language = write_chart(rows, YEAR, tmp_path / "r.png", "zh")
    assert (tmp_path / "r.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert language == "zh"  # the `cjk` extra's font, installed with the tests


def test_the_chart_font_is_the_packaged_one() -> None:
    """With the `cjk` extra installed, matplotlib knows its font whatever the system has."""
    from matplotlib import font_manager

    from workflow.core.fonts import packaged_font_path, register_packaged_font

    path = packaged_font_path()
    assert path is not None and path.name == "NotoSansSC-Regular.otf"
    assert register_packaged_font() == "Noto Sans SC" == cjk_font()
    found = font_manager.findfont(font_manager.FontProperties(family="Noto Sans SC"))
    assert Path(found) == path


def test_without_the_extra_there_is_no_packaged_font(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from workflow.core.fonts import packaged_font_path

    monkeypatch.setitem(sys.modules, "pylopdf_fonts_zh_cn", None)  # import fails
    assert packaged_font_path() is None


def test_no_finalised_sheets_no_results(session: Session, settings: Settings) -> None:
    assert year_results(session, YEAR, settings) == []
