"""Bulk entry of guidance work (issue 12 item 3): the 指导工作 template, an all-or-nothing
import with evidence files, guidance records by programme, and the status table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.workflow.guidance.helpers import TODAY, YEAR, World, guided
from workflow.community import units
from workflow.community.models import CreationUnit, Guidance
from workflow.core.errors import InvalidInput
from workflow.core.settings import Settings
from workflow.guidance import evidence, spreadsheet
from workflow.guidance.models import EvidenceFile, GuidanceActivity
from workflow.registry.models import Agency


@pytest.fixture
def world(any_engine: Engine) -> tuple[Engine, World, str]:
    with Session(any_engine, expire_on_commit=False) as session:
        found = guided(session)
        agency = session.get(Agency, found.agency_id)
        assert agency is not None
        session.commit()
        return any_engine, found, agency.name


def sheet(tmp_path: Path, *rows: dict[str, Any]) -> Path:
    """The template with `rows` (by field name) below its sample row."""
    path = spreadsheet.write_template(tmp_path / "指导工作.xlsx")
    book = load_workbook(path)
    names = [name for name, _, _ in spreadsheet.COLUMNS]
    for row in rows:
        book[spreadsheet.ACTIVITY_SHEET].append([row.get(name) for name in names])
    book.save(path)
    return path


def files(tmp_path: Path, **named: bytes) -> Path:
    folder = tmp_path / "files"
    folder.mkdir(exist_ok=True)
    for name, content in named.items():
        (folder / name).write_bytes(content)
    return folder


def test_the_template_sample_row_is_never_imported(tmp_path: Path) -> None:
    path = spreadsheet.write_template(tmp_path / "t.xlsx")
    headers = [c.value for c in load_workbook(path)[spreadsheet.ACTIVITY_SHEET][1]]
    assert headers[:7] == ["机构", "创建单位", "区", "工作类型", "主题", "创建类型", "日期"]
    assert "佐证文件" in headers and "走访点位" in headers
    help_rows = {
        row[0]: row[1:]
        for row in load_workbook(path)[spreadsheet.HELP_SHEET].iter_rows(values_only=True)
    }
    assert help_rows["培训"][:2] == ("建设理念、机构搭建、风险辨识、项目策划、其他", "可填")
    assert help_rows["风险辨识走访"][2] == "走访点位、发现隐患、建议措施"
    with pytest.raises(InvalidInput) as refused:
        spreadsheet.read_activities(path)
    assert refused.value.key == "units.file_empty"


def test_an_import_records_every_row_with_its_files(
    world: tuple[Engine, World, str], settings: Settings, tmp_path: Path
) -> None:
    engine, found, agency = world
    folder = files(tmp_path, **{"签到表.jpg": b"\xff\xd8 sheet", "照片.png": b"\x89PNG photo"})
    path = sheet(
        tmp_path,
        {
            "agency": agency,
            "unit": "幸福里社区",
            "district": "东城区",
            "kind": "培训",
            "topic": "风险辨识",
            "held_on": "2026-03-05",
            "attendance": "30人",
            "files": "签到表.jpg、照片.png",
        },
        {
            "agency": str(found.agency_id),
            "unit": "幸福里社区",
            "kind": "风险辨识走访",
            "held_on": "2026/4/2",
            "points": 12,
            "hazards": "3",
        },
    )
    report = spreadsheet.import_activities(
        engine, spreadsheet.read_activities(path), folder, found.admin, settings, today=TODAY
    )
    assert (report.activities, report.files) == (2, 2)
    with Session(engine) as session:
        rows = session.exec(select(GuidanceActivity).order_by(GuidanceActivity.id)).all()
        assert [(r.kind, r.topic, r.attendance, r.on_behalf) for r in rows] == [
            ("training", "risk_identification", 30, True),
            ("risk_visit", "", None, True),
        ]
        assert rows[1].details == {"points": 12, "hazards": 3}
        stored = session.exec(select(EvidenceFile)).all()
        assert sorted(f.original_name for f in stored) == ["照片.png", "签到表.jpg"]
        assert all(Path(f.stored_path).read_bytes() for f in stored)


def test_any_error_stores_nothing_and_names_every_row(
    world: tuple[Engine, World, str], settings: Settings, tmp_path: Path
) -> None:
    engine, found, agency = world
    folder = files(tmp_path, **{"a.jpg": b"\xff\xd8 same", "b.jpg": b"\xff\xd8 same"})
    good = {"agency": agency, "unit": "幸福里社区", "kind": "启动会", "held_on": "2026-02-01"}
    path = sheet(
        tmp_path,
        good | {"files": "a.jpg"},  # row 3: fine by itself
        good | {"kind": "联欢会"},  # row 4
        good | {"unit": "不存在社区"},  # row 5
        good | {"files": "缺少.jpg"},  # row 6
        good | {"files": "b.jpg"},  # row 7: the same content as row 3's file
        good | {"kind": "领导机构", "points": 3},  # row 8: a detail of another kind
        good | {"held_on": "2025-12-01"},  # row 9: a unit not guided in 2025
    )
    with pytest.raises(InvalidInput) as refused:
        spreadsheet.import_activities(
            engine, spreadsheet.read_activities(path), folder, found.admin, settings, today=TODAY
        )
    message = refused.value.message()
    assert refused.value.key == "units.import_failed" and "6 处错误" in message
    for row, words in (
        (4, "联欢会"),
        (5, "不存在社区"),
        (6, "缺少.jpg"),
        (7, "第3行"),
        (8, "走访点位"),
        (9, "2025年未登记指导"),
    ):
        assert f"第{row}行：" in message and words in message
    assert "第3行：" not in message
    with Session(engine) as session:
        assert session.exec(select(GuidanceActivity)).all() == []
        assert session.exec(select(EvidenceFile)).all() == []
    kept = evidence.folder(settings, found.agency_id, YEAR)
    assert not kept.exists() or list(kept.iterdir()) == []


def test_files_named_without_a_folder_are_refused(
    world: tuple[Engine, World, str], settings: Settings, tmp_path: Path
) -> None:
    engine, found, agency = world
    path = sheet(
        tmp_path,
        {
            "agency": agency,
            "unit": "幸福里社区",
            "kind": "启动会",
            "held_on": "2026-02-01",
            "files": "x.jpg",
        },
    )
    with pytest.raises(InvalidInput) as refused:
        spreadsheet.import_activities(
            engine, spreadsheet.read_activities(path), None, found.admin, settings, today=TODAY
        )
    assert "--files" in refused.value.message()


def test_guidance_takes_the_units_programmes_or_those_named(session: Session) -> None:
    world = guided(session, safe=True, disaster=False)
    agency = session.get(Agency, world.agency_id)
    both = CreationUnit(
        name="双创社区", district="西城区", safe_community=True, disaster_reduction=True
    )
    session.add(both)
    session.flush()
    assert agency is not None
    record = units.add_guidance(session, both, agency, 2027, programmes="综合减灾示范社区")
    assert (record.safe_community, record.disaster_reduction) == (False, True)
    record = units.add_guidance(session, both, agency, 2025, started_on="2025-04-01")
    assert (record.safe_community, record.disaster_reduction) == (True, True)
    assert str(record.started_on) == "2025-04-01"
    only_safe = session.get(CreationUnit, world.unit_id)
    assert only_safe is not None
    with pytest.raises(InvalidInput) as refused:
        units.add_guidance(session, only_safe, agency, 2027, programmes="两者")
    assert refused.value.key == "units.programme_not_in_unit"
    assert "未参加“综合减灾示范社区”创建" in refused.value.message()
    with pytest.raises(InvalidInput) as refused:
        units.add_guidance(session, only_safe, agency, 2027, started_on="2026-05-01")
    assert refused.value.key == "units.start_outside_year"


def test_the_guidance_sheet_reads_programme_and_start(any_engine: Engine, tmp_path: Path) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        world = guided(session, safe=True, disaster=True, name="双创社区")
        agency = session.get(Agency, world.agency_id)
        assert agency is not None
        session.commit()
    path = units.write_template(tmp_path / "units.xlsx")
    book = load_workbook(path)
    book[units.GUIDANCE_SHEET].append(
        ["双创社区", "东城区", agency.credit_code, 2027, "两者", "2027-03-01"]
    )
    book[units.GUIDANCE_SHEET].append(["双创社区", "东城区", agency.credit_code, 2025, "", ""])
    book[units.GUIDANCE_SHEET].append(
        ["双创社区", "东城区", agency.credit_code, 2024, "消防社区", ""]
    )
    book.save(path)
    rows = units.read_rows(
        path, units.GUIDANCE_SHEET, units.GUIDANCE_COLUMNS, units.GUIDANCE_OPTIONAL
    )
    with Session(any_engine) as session:
        with pytest.raises(InvalidInput) as refused:
            units.import_guidance(session, rows)
        assert "第5行：" in refused.value.message() and "消防社区" in refused.value.message()
    with Session(any_engine) as session:
        units.import_guidance(session, rows[:2])
        session.commit()
        stored = {
            g.year: (g.safe_community, g.disaster_reduction, g.started_on)
            for g in session.exec(select(Guidance).where(Guidance.year != YEAR)).all()
        }
    assert stored[2027][:2] == (True, True) and str(stored[2027][2]) == "2027-03-01"
    assert stored[2025] == (True, True, None)


def test_the_status_table_says_the_shortfalls_in_words(
    world: tuple[Engine, World, str], settings: Settings, tmp_path: Path
) -> None:
    engine, _, agency = world
    with Session(engine) as session:
        agencies = spreadsheet.guiding_agencies(session, YEAR)
        rows = spreadsheet.status_rows(session, YEAR, agencies, TODAY, settings, "zh")
    assert [a.name for a in agencies] == [agency]
    [row] = rows
    assert row[:6] == [agency, "东城区", "幸福里社区", "安全社区", 0, "0/5"]
    assert "未记录启动会" in str(row[-1]) and "还差 15 个" in str(row[-1])
    path = spreadsheet.write_status(tmp_path / "情况.xlsx", YEAR, rows, "zh")
    written = load_workbook(path).active
    assert written is not None and written.title == "2026年指导工作情况"
    assert [c.value for c in written[1]][-1] == "未达要求"
    assert written["C2"].value == "幸福里社区"
