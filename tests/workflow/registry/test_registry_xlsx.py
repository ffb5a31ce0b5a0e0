"""The registry spreadsheet: template → filled offline → import, and every way a
workbook can be wrong (each reported with sheet, row and column; nothing written)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from tests.builders import agency_row, credit_code, fill, make_agency, people
from workflow.core.db import transaction
from workflow.core.errors import InvalidInput
from workflow.registry.eligibility import check_eligibility
from workflow.registry.models import Agency, Consultant
from workflow.registry.service import consultants_of, current_application, find_agency
from workflow.registry.xlsx import (
    AGENCY_SHEET,
    CONSULTANT_SHEET,
    INSTRUCTIONS_SHEET,
    ImportErrors,
    import_workbook,
    write_template,
)


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_template_has_the_three_sheets_and_labelled_headers(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_template(path)
    book = load_workbook(path)
    assert book.sheetnames == [INSTRUCTIONS_SHEET, AGENCY_SHEET, CONSULTANT_SHEET]
    agency_headers = [c.value for c in book[AGENCY_SHEET][1]]
    assert agency_headers[:5] == ["单位全称", "地址", "营业执照注册地", "统一代码", "邮编"]
    assert "工商营业执照复印件" in agency_headers and "经营范围" in agency_headers
    consultant_headers = [c.value for c in book[CONSULTANT_SHEET][1]]
    assert consultant_headers[:4] == ["统一代码", "姓名", "性别", "出生日期"]
    assert {"身份证号", "现从事咨询服务年限", "工作简历及主要成绩", "申请人承诺日期"} <= set(
        consultant_headers
    )
    dropdowns = {dv.formula1 for dv in book[CONSULTANT_SHEET].data_validations.dataValidation}
    assert dropdowns == {'"男,女"', '"是,否"'}
    id_column = consultant_headers.index("身份证号") + 1
    assert book[CONSULTANT_SHEET].cell(row=2, column=id_column).number_format == "@"
    birth_column = consultant_headers.index("出生日期") + 1
    assert book[CONSULTANT_SHEET].cell(row=2, column=birth_column).number_format == "yyyy-mm-dd"
    instructions = " ".join(
        str(c.value) for row in book[INSTRUCTIONS_SHEET] for c in row if c.value
    )
    assert "文本" in instructions and "身份证号" in instructions


def test_round_trip_template_filled_import_show(any_engine: Engine, tmp_path: Path) -> None:
    first, second = agency_row(), agency_row(service_since="2019-05-01", business_licence="否")
    consultants = [(first["credit_code"], p) for p in people(5)]
    consultants += [(second["credit_code"].lower(), p) for p in people(3, seniors=1)]
    path = fill(tmp_path / "filled.xlsx", [first, second], consultants)
    with transaction(any_engine) as session:
        result = import_workbook(session, path)
    assert (result.agencies, result.consultants, result.existing_agencies) == (2, 8, 0)
    with Session(any_engine) as session:
        agency = find_agency(session, first["credit_code"])
        assert agency.name == first["name"] and agency.service_since == date(2018, 3, 1)
        assert [c.name for c in consultants_of(session, agency.id)] == [
            f"咨询师{i}" for i in range(5)
        ]
        assert (
            check_eligibility(session, agency).conditions[5].reason == "咨询人员 5 名，不少于 5 名"
        )
        other = find_agency(session, second["credit_code"])
        assert other.service_since == date(2019, 5, 1)
        assert current_application(session, other.id).business_licence is False
        assert [c.code for c in check_eligibility(session, other).failed] == [
            "business_scope",
            "familiar",
            "consultants",
            "senior_titles",
        ]


def test_every_row_error_is_listed_and_nothing_written(any_engine: Engine, tmp_path: Path) -> None:
    good = agency_row()
    bad = agency_row(postcode="10002", principal_mobile="12345678901")
    rows = people(5)
    rows[2]["id_number"] = rows[2]["id_number"][:17] + (
        "0" if rows[2]["id_number"][17] != "0" else "1"
    )
    rows[3]["birth_date"] = "1980-02-30"
    consultants = [(good["credit_code"], p) for p in rows]
    consultants.append((credit_code(99), people(1)[0]))
    path = fill(tmp_path / "bad.xlsx", [good, bad], consultants)
    with pytest.raises(ImportErrors) as failed, transaction(any_engine) as session:
        import_workbook(session, path)
    lines = [str(e) for e in failed.value.errors]
    assert lines == [
        "工作表 单位登记表 第 3 行 邮编：应为 6 位数字",
        "工作表 单位登记表 第 3 行 手机：应为 11 位中国大陆手机号码，以 13–19 开头，例如 13812345678",
        "工作表 人员登记表 第 4 行 身份证号：校验位（第 18 位）不符，请逐位核对",
        "工作表 人员登记表 第 5 行 出生日期：“1980-02-30”不是真实存在的日期",
        "工作表 人员登记表 第 7 行 统一代码：单位登记表和系统中都没有此统一代码的机构",
    ]
    assert "共 5 处错误，未写入任何内容" in str(failed.value)
    assert _count(any_engine, Agency) == 0 and _count(any_engine, Consultant) == 0


def test_duplicates_in_the_file_and_in_the_registry(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session:
        existing = make_agency(session, consultants=0, name="已登记的公司")
    repeated = agency_row()
    twice = [(repeated["credit_code"], p) for p in people(1) * 2]
    path = fill(
        tmp_path / "dup.xlsx",
        [agency_row(credit_code=existing.credit_code), repeated, dict(repeated)],
        twice,
    )
    with pytest.raises(ImportErrors) as failed, transaction(engine) as session:
        import_workbook(session, path)
    assert [str(e) for e in failed.value.errors] == [
        f"工作表 单位登记表 第 2 行 统一代码：已有机构使用此代码：已登记的公司（编号 {existing.id}）",
        "工作表 单位登记表 第 4 行 统一代码：与本表第 3 行重复",
        "工作表 人员登记表 第 3 行 身份证号：与本表第 2 行重复",
    ]
    assert _count(engine, Agency) == 1


def test_consultants_added_to_an_agency_already_registered(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session:
        existing = make_agency(session, consultants=0)
    path = fill(tmp_path / "more.xlsx", [], [(existing.credit_code, p) for p in people(2)])
    with transaction(engine) as session:
        result = import_workbook(session, path)
    assert (result.agencies, result.consultants, result.existing_agencies) == (0, 2, 1)
    with pytest.raises(ImportErrors) as failed, transaction(engine) as session:
        import_workbook(session, path)  # the same people again
    assert "身份证号：本机构已登记此身份证号的咨询人员：咨询师0" in str(failed.value.errors[0])


def test_excel_serial_dates_and_numeric_id_numbers(engine: Engine, tmp_path: Path) -> None:
    row = agency_row()
    someone = people(1)[0]
    path = fill(tmp_path / "numbers.xlsx", [row], [(row["credit_code"], someone)])
    book = load_workbook(path)
    headers = [c.value for c in book[CONSULTANT_SHEET][1]]
    sheet = book[CONSULTANT_SHEET]
    sheet.cell(row=2, column=headers.index("出生日期") + 1).value = 25569  # 1970-01-01 as a serial
    sheet.cell(row=2, column=headers.index("身份证号") + 1).value = int(
        someone["id_number"][:17] + "0"
    )
    book.save(path)
    with pytest.raises(ImportErrors) as failed, transaction(engine) as session:
        import_workbook(session, path)
    assert [str(e) for e in failed.value.errors] == [
        "工作表 人员登记表 第 2 行 身份证号：须以文本格式填写（按数字填写会丢失末几位），请将单元格设为文本后重填"
    ]


def test_not_an_xlsx_file(engine: Engine, tmp_path: Path) -> None:
    csv = tmp_path / "agencies.xlsx"
    csv.write_bytes("单位全称,统一代码\n北京安全咨询有限公司,91110105\n".encode("gbk"))
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(bytes(range(256)) * 4)
    for path in (csv, garbage):
        with pytest.raises(InvalidInput) as failed, transaction(engine) as session:
            import_workbook(session, path)
        assert str(failed.value).startswith(f"文件 {path.name} 不是 Excel 工作簿（.xlsx）")
    with pytest.raises(InvalidInput, match="找不到文件"), transaction(engine) as session:
        import_workbook(session, tmp_path / "nowhere.xlsx")


def test_missing_sheet(engine: Engine, tmp_path: Path) -> None:
    path = fill(tmp_path / "nosheet.xlsx", [agency_row()], [])
    book = load_workbook(path)
    del book[CONSULTANT_SHEET]
    book.save(path)
    with pytest.raises(InvalidInput) as failed, transaction(engine) as session:
        import_workbook(session, path)
    assert str(failed.value) == (
        "工作簿缺少工作表：人员登记表（现有工作表：填表说明、单位登记表）。"
        "请使用 safecomm agency template 生成的模板"
    )


def test_renamed_header_column(engine: Engine, tmp_path: Path) -> None:
    path = fill(tmp_path / "renamed.xlsx", [agency_row()], [])
    book = load_workbook(path)
    headers = [c.value for c in book[CONSULTANT_SHEET][1]]
    book[CONSULTANT_SHEET].cell(row=1, column=headers.index("身份证号") + 1).value = "身份证"
    book.save(path)
    with pytest.raises(InvalidInput) as failed, transaction(engine) as session:
        import_workbook(session, path)
    assert str(failed.value) == (
        "工作表 人员登记表 第 1 行缺少列：身份证号（表头须与模板一致，请勿改名或删除；不认识的列：身份证）"
    )


def test_empty_template_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    write_template(path)
    with (
        pytest.raises(InvalidInput, match="没有填写任何机构或人员"),
        transaction(engine) as session,
    ):
        import_workbook(session, path)
