"""Creation units and guidance records: checked input, no duplicates, all-or-nothing imports."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.builders import make_agency
from workflow.community.models import CreationUnit, Guidance
from workflow.community.units import (
    GUIDANCE_COLUMNS,
    GUIDANCE_SHEET,
    UNIT_COLUMNS,
    UNIT_SHEET,
    add_guidance,
    add_unit,
    find_unit,
    import_guidance,
    import_units,
    list_units,
    normalise_district,
    read_rows,
    write_template,
)
from workflow.core.errors import Conflict, InvalidInput, NotFound


def agency(session: Session):
    return make_agency(session, consultants=0, seniors=0)


def sheet(path: Path, title: str, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = title
    for row in rows:
        worksheet.append(row)
    workbook.save(path)
    return path


def test_a_unit_needs_a_name_a_beijing_district_and_a_programme(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        unit = add_unit(session, " 建国门街道 ", "东城", safe_community=True)
        assert (unit.name, unit.district, unit.safe_community) == ("建国门街道", "东城区", True)
        with pytest.raises(InvalidInput, match="名称"):
            add_unit(session, "  ", "东城区", safe_community=True)
        with pytest.raises(InvalidInput, match="不是北京市的区"):
            add_unit(session, "某社区", "浦东新区", safe_community=True)
        with pytest.raises(InvalidInput, match="至少要参加一个创建项目"):
            add_unit(session, "某社区", "东城区")
        with pytest.raises(Conflict, match="东城区已有"):
            add_unit(session, "建国门街道", "东城区", disaster_reduction=True)


def test_district_aliases() -> None:
    assert normalise_district("朝阳") == "朝阳区"
    assert normalise_district("经开区") == "北京经济技术开发区"


def test_find_unit_by_number_or_unique_name(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        first = add_unit(session, "和平里街道", "东城区", safe_community=True)
        add_unit(session, "同名社区", "东城区", safe_community=True)
        add_unit(session, "同名社区", "西城区", safe_community=True)
        assert find_unit(session, str(first.id)).id == first.id
        assert find_unit(session, "和平里街道").id == first.id
        with pytest.raises(InvalidInput, match="有多个名为“同名社区”"):
            find_unit(session, "同名社区")
        with pytest.raises(NotFound, match="unit list"):
            find_unit(session, "不存在")


def test_guidance_once_per_unit_agency_year_and_units_listed_by_year(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        guide = agency(session)
        unit = add_unit(session, "和平里街道", "东城区", safe_community=True)
        add_unit(session, "未指导", "东城区", safe_community=True)
        add_guidance(session, unit, guide, 2026)
        with pytest.raises(Conflict, match="已记录"):
            add_guidance(session, unit, guide, 2026)
        with pytest.raises(InvalidInput, match="年度"):
            add_guidance(session, unit, guide, 1999)
        assert [u.name for u in list_units(session, year=2026)] == ["和平里街道"]
        assert [u.name for u in list_units(session, agency_id=guide.id)] == ["和平里街道"]
        assert len(list_units(session)) == 2


def test_unit_import_adds_all_rows_from_the_template_layout(
    any_engine: Engine, tmp_path: Path
) -> None:
    path = sheet(
        tmp_path / "units.xlsx",
        UNIT_SHEET,
        [
            [zh for _, zh, _ in UNIT_COLUMNS],
            ["建国门街道", "东城区", "是", "否"],
            ["东花市街道", "东城", "否", "是"],
            [None, None, None, None],  # blank rows are ignored
        ],
    )
    with Session(any_engine) as session:
        result = import_units(session, read_rows(path, UNIT_SHEET, UNIT_COLUMNS))
        session.commit()
        assert result.added == ["东城区 建国门街道", "东城区 东花市街道"]
        again = import_units(session, read_rows(path, UNIT_SHEET, UNIT_COLUMNS))
        assert again.added == [] and len(again.unchanged) == 2


def test_one_bad_row_writes_nothing_and_every_error_is_named(
    any_engine: Engine, tmp_path: Path
) -> None:
    path = sheet(
        tmp_path / "units.xlsx",
        UNIT_SHEET,
        [
            ["名称", "区", "安全社区", "综合减灾示范社区"],
            ["好社区", "东城区", "是", "否"],
            ["坏区社区", "火星区", "是", "否"],
            ["好社区", "东城区", "是", "否"],
            ["无项目社区", "西城区", "否", "否"],
            ["乱填社区", "西城区", "也许", "否"],
        ],
    )
    with Session(any_engine) as session:
        with pytest.raises(InvalidInput) as failed:
            import_units(session, read_rows(path, UNIT_SHEET, UNIT_COLUMNS))
        session.rollback()
        message = str(failed.value)
        assert message.startswith("导入失败，未写入任何内容。4 处错误")
        for expected in ("第3行", "火星区", "第4行：与第2行重复", "第5行", "第6行：“也许”"):
            assert expected in message
        assert session.exec(select(CreationUnit)).all() == []


def test_guidance_import_finds_units_and_agencies_all_or_nothing(
    any_engine: Engine, tmp_path: Path
) -> None:
    with Session(any_engine) as session:
        guide = agency(session)
        add_unit(session, "建国门街道", "东城区", safe_community=True)
        session.commit()
        header = [zh for _, zh, _ in GUIDANCE_COLUMNS]
        good = sheet(
            tmp_path / "good.xlsx",
            GUIDANCE_SHEET,
            [header, ["建国门街道", "东城区", guide.credit_code, 2026]],
        )
        bad = sheet(
            tmp_path / "bad.xlsx",
            GUIDANCE_SHEET,
            [
                header,
                ["建国门街道", "东城区", guide.credit_code, 2027],
                ["不存在", "东城区", guide.credit_code, 2027],
            ],
        )
        with pytest.raises(InvalidInput, match="第3行"):
            import_guidance(session, read_rows(bad, GUIDANCE_SHEET, GUIDANCE_COLUMNS))
        session.rollback()
        assert session.exec(select(Guidance)).all() == []
        result = import_guidance(session, read_rows(good, GUIDANCE_SHEET, GUIDANCE_COLUMNS))
        assert len(result.added) == 1
        assert session.exec(select(Guidance)).one().year == 2026


def test_template_round_trips_and_unreadable_files_are_refused(
    any_engine: Engine, tmp_path: Path
) -> None:
    """Issue 11 item 5: the template's sample rows are marked as examples and never
    imported (the sample 建国门街道 used to become a real unit)."""
    path = write_template(tmp_path / "template.xlsx")
    for name, columns in ((UNIT_SHEET, UNIT_COLUMNS), (GUIDANCE_SHEET, GUIDANCE_COLUMNS)):
        with pytest.raises(InvalidInput) as empty:
            read_rows(path, name, columns)
        assert empty.value.key == "units.file_empty"
    filled = load_workbook(path)
    assert filled[UNIT_SHEET]["A2"].value == "示例：建国门街道"
    filled[UNIT_SHEET].append(["朝阳门街道", "东城区", "是", "否"])
    filled[GUIDANCE_SHEET].append(["朝阳门街道", "东城区", "91110101MA01XY3K3Y", 2026])
    filled.save(path)
    rows = read_rows(path, UNIT_SHEET, UNIT_COLUMNS)
    assert rows == [
        (
            3,
            {
                "name": "朝阳门街道",
                "district": "东城区",
                "safe_community": "是",
                "disaster_reduction": "否",
            },
        )
    ]
    assert read_rows(path, GUIDANCE_SHEET, GUIDANCE_COLUMNS)[0][1]["year"] == 2026
    with Session(any_engine) as session:
        assert import_units(session, rows).added == ["东城区 朝阳门街道"]
        assert [u.name for u in list_units(session)] == ["朝阳门街道"]
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InvalidInput, match="不是 Excel 工作簿"):
        read_rows(tmp_path / "notes.txt", UNIT_SHEET, UNIT_COLUMNS)
    wrong = sheet(tmp_path / "wrong.xlsx", UNIT_SHEET, [["名字", "区"], ["a", "东城区"]])
    with pytest.raises(InvalidInput, match="缺少列“名称”"):
        read_rows(wrong, UNIT_SHEET, UNIT_COLUMNS)
