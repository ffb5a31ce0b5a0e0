"""Formula injection: typed text is written as text in every xlsx and csv the project writes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session

from surveys.invitations import export_invitations
from tests.builders import make_agency
from tests.surveys.helpers import OPEN_YEAR, guided_units
from tests.workflow.assessment_builders import (
    ADMIN,
    after_questionnaire,
    filed_agency,
    fill_sheet,
    full_points,
)
from workflow.assessment.finalising import finalise
from workflow.assessment.results import write_csv, write_xlsx, year_results
from workflow.assessment.xlsx import AGENCY_NAME_CELL, export_sheet
from workflow.core.settings import Settings
from workflow.core.spreadsheets import csv_cell, csv_writer, save_workbook
from workflow.registry.models import Application
from workflow.rounds.closing import write_publication
from workflow.rounds.ranking import Ranked

HYPERLINK = '=HYPERLINK("http://x")'


# --- the helpers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        (HYPERLINK, "'" + HYPERLINK),
        ("某咨询公司", "某咨询公司"),
        ("a=b", "a=b"),
        ("", ""),
        ("-1.50", "-1.50"),
        ("+3", "+3"),
        (None, None),
        (7, 7),
        (-2, -2),
        (-0.5, -0.5),
        (True, True),
    ],
)
def test_csv_cell_quotes_text_a_spreadsheet_would_run(value: object, written: object) -> None:
    assert csv_cell(value) == written


def test_csv_writer_quotes_every_cell_and_keeps_the_csv_format() -> None:
    stream = io.StringIO()
    writer = csv_writer(stream)
    writer.writerow(["名次", "机构"])
    writer.writerows([[1, "=1+1"], [-2, "普通, 机构"]])
    assert stream.getvalue().splitlines() == ["名次,机构", "1,'=1+1", '-2,"普通, 机构"']


def test_save_workbook_stores_formula_text_as_text(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["=1+1", "#REF!", "普通", 3, None, "-1"])
    other = book.create_sheet("第二页")
    other["C7"] = HYPERLINK
    assert sheet["A1"].data_type == "f"  # what openpyxl would write without the helper
    save_workbook(book, tmp_path / "b.xlsx")
    stream = io.BytesIO()
    save_workbook(book, stream)
    for source in (tmp_path / "b.xlsx", io.BytesIO(stream.getvalue())):
        saved = load_workbook(source)
        first, second = saved.worksheets
        assert [(c.value, c.data_type) for c in first[1]] == [
            ("=1+1", "s"),
            ("#REF!", "s"),
            ("普通", "s"),
            (3, "n"),
            (None, "n"),
            ("-1", "s"),
        ]
        assert first["A1"].quotePrefix and not first["C1"].quotePrefix
        assert (second["C7"].value, second["C7"].data_type) == (HYPERLINK, "s")
        assert (first.max_row, first.max_column) == (1, 6)


# --- real exports -------------------------------------------------------------


def test_publication_list_writes_a_formula_name_as_text(session: Session, tmp_path: Path) -> None:
    evil = make_agency(session, consultants=0, seniors=0, name=HYPERLINK)
    plain = make_agency(session, consultants=0, seniors=0, name="北京平安咨询有限公司")
    ranked = [
        Ranked(1, Application(agency_id=evil.id), evil, 88.5),
        Ranked(2, Application(agency_id=plain.id), plain, 80.0),
    ]
    xlsx, csv_path = write_publication(ranked, tmp_path, "2026 第一批", "zh")

    sheet = load_workbook(xlsx).worksheets[0]
    assert (sheet["B2"].value, sheet["B2"].data_type) == (HYPERLINK, "s")
    assert [c.value for c in sheet[3]] == [2, "北京平安咨询有限公司", plain.credit_code, 80.0]
    assert sheet["A2"].data_type == "n"

    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[1] == ["1", "'" + HYPERLINK, evil.credit_code, "88.50"]
    assert rows[2] == ["2", "北京平安咨询有限公司", plain.credit_code, "80.00"]


def test_invitation_sheet_writes_a_formula_unit_name_as_text(
    session: Session, tmp_path: Path
) -> None:
    guided = guided_units(session, count=2)
    guided.units[0].name = "=1+1"  # the unit register may accept it; the output must not run it
    session.add(guided.units[0])
    session.commit()
    export = export_invitations(session, OPEN_YEAR, tmp_path, "safecomm_bot")
    sheet = load_workbook(export.sheet).active
    assert sheet is not None
    by_name = {row[2].value: row for row in sheet.iter_rows(min_row=2)}
    assert by_name["=1+1"][2].data_type == "s"
    ordinary = by_name[guided.units[1].name]
    assert ordinary[0].value == OPEN_YEAR and ordinary[0].data_type == "n"
    assert ordinary[3].value == guided.agency.name


def test_results_write_a_formula_agency_name_as_text(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    year = 2026
    for name in ("@SUM(1+1)*cmd", "甲公司"):
        agency = filed_agency(session, settings)
        assert agency.id is not None
        fill_sheet(session, agency.id, year, full_points())
        finalise(session, agency.id, year, ADMIN, settings, now=after_questionnaire(year))
        agency.name = name  # written through the model: defence in depth at output
        session.add(agency)
        session.commit()
    rows = year_results(session, year, settings)
    assert sorted(r.agency_name for r in rows) == ["@SUM(1+1)*cmd", "甲公司"]

    write_csv(rows, tmp_path / "r.csv", "zh")
    lines = (tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].startswith("1,'@SUM(1+1)*cmd,100,0,100,")
    assert lines[2].startswith("2,甲公司,100,0,100,")

    write_xlsx(rows, year, tmp_path / "r.xlsx", "zh")
    sheet = load_workbook(tmp_path / "r.xlsx").worksheets[0]
    assert [(c.value, c.data_type) for c in sheet["B"][1:]] == [
        ("@SUM(1+1)*cmd", "s"),
        ("甲公司", "s"),
    ]


def test_score_sheet_export_writes_a_formula_agency_name_as_text(session: Session) -> None:
    stream = io.BytesIO()
    export_sheet(session, 999, "=1+1", 2026, stream)
    cell = load_workbook(io.BytesIO(stream.getvalue())).worksheets[0][AGENCY_NAME_CELL]
    assert (cell.value, cell.data_type) == ("=1+1", "s")
