"""The registry spreadsheet: a template agencies fill in offline, and its import.

The workbook has three sheets: 填表说明 (instructions), 单位登记表 (one row per
agency: the agency form, the Art. 8 facts and the Art. 9 checklist as 是/否) and
人员登记表 (one row per consultant; the first column is the agency's 统一代码).
Headers are the Chinese labels of `workflow.registry.forms.FIELD_LABELS`.

The import checks every row of both sheets first and raises `ImportErrors` with
every problem (sheet, row, column) if anything is wrong; only a clean workbook
is written, by the caller, in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session, select

from workflow.core.errors import InvalidInput
from workflow.core.i18n import workflow_texts
from workflow.core.spreadsheets import open_workbook, save_workbook
from workflow.registry.forms import (
    AGENCY_FACTS,
    AGENCY_FORM,
    CHECKLIST,
    CONSULTANT_FORM,
    FieldError,
    FormField,
    check_field,
    label,
    validate_agency_fields,
    validate_consultant_fields,
)
from workflow.registry.models import Agency
from workflow.registry.service import (
    add_consultant,
    duplicate_credit_code,
    duplicate_id_number,
    find_agency,
    register_agency,
)

INSTRUCTIONS_SHEET = "填表说明"
AGENCY_SHEET = "单位登记表"
CONSULTANT_SHEET = "人员登记表"
LINK_COLUMN = "统一代码"
TEMPLATE_ROWS = 500
"""Rows prepared with formats and dropdowns in the template."""


@dataclass(frozen=True)
class Column:
    """One spreadsheet column: the form field it fills and its header label."""

    form: str
    field: FormField

    @property
    def header(self) -> str:
        return label(self.form, self.field.name, "zh")


_LINK = Column("agency", FormField("credit_code", "credit_code", True))
AGENCY_COLUMNS: tuple[Column, ...] = tuple(
    Column("agency", f) for f in AGENCY_FORM + AGENCY_FACTS
) + tuple(Column("application", f) for f in CHECKLIST)
CONSULTANT_COLUMNS: tuple[Column, ...] = (
    _LINK,
    *(Column("consultant", f) for f in CONSULTANT_FORM),
)
SHEETS: dict[str, tuple[Column, ...]] = {
    AGENCY_SHEET: AGENCY_COLUMNS,
    CONSULTANT_SHEET: CONSULTANT_COLUMNS,
}


def _text(key: str, **params: object) -> str:
    return workflow_texts.text(f"registry.xlsx.{key}", None, **params)


# ---------------------------------------------------------------------------
# Errors and results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    """One problem in the workbook: where it is and what is wrong."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _text(
            "cell_error", sheet=self.sheet, row=self.row, column=self.column, message=self.message
        )


class ImportErrors(InvalidInput):
    """The workbook has errors; nothing was written. `errors` lists every one."""

    def __init__(self, errors: Sequence[CellError]) -> None:
        super().__init__("registry.xlsx.import_errors", count=len(errors))
        self.errors = tuple(errors)


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote."""

    agencies: int
    consultants: int
    existing_agencies: int


# ---------------------------------------------------------------------------
# The template
# ---------------------------------------------------------------------------

_KIND_FORMAT = {"date": "yyyy-mm-dd", "past_date": "yyyy-mm-dd", "birth_date": "yyyy-mm-dd"}
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FONT = Font(bold=True, color="C00000")


def _choices(kind: str) -> str | None:
    if kind in ("bool", "optional_bool"):
        return '"是,否"'
    if kind == "gender":
        return '"男,女"'
    return None


def _fill_form_sheet(sheet: Worksheet, columns: Sequence[Column]) -> None:
    last = TEMPLATE_ROWS + 1
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = _REQUIRED_FONT if column.field.required else Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[letter].width = max(12, min(40, 2 * len(column.header) + 4))
        number_format = _KIND_FORMAT.get(column.field.kind, "@")
        for row in range(2, last + 1):
            sheet.cell(row=row, column=index).number_format = number_format
        choices = _choices(column.field.kind)
        if choices:
            validation = DataValidation(
                type="list",
                formula1=choices,
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.header,
                error=_text("dropdown_error", choices=choices.strip('"').replace(",", " / ")),
            )
            validation.add(f"{letter}2:{letter}{last}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "B2"
    sheet.row_dimensions[1].height = 32


def _kind_help(column: Column) -> str:
    if column is _LINK:
        return _text("help.link")
    return _text(f"help.{column.field.kind}")


def write_template(path: Path) -> None:
    """An empty workbook with the two forms and the instructions."""
    book = Workbook()
    instructions = book.active
    assert instructions is not None
    instructions.title = INSTRUCTIONS_SHEET
    lines = [_text(f"instructions.{n}") for n in range(1, 8)]
    instructions.append([_text("instructions.title")])
    instructions["A1"].font = Font(bold=True, size=14)
    for line in lines:
        instructions.append([line])
    instructions.append([])
    instructions.append(
        [
            _text("table.sheet"),
            _text("table.column"),
            _text("table.required"),
            _text("table.format"),
        ]
    )
    header_row = instructions.max_row
    for cell in instructions[header_row]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for sheet_name, columns in SHEETS.items():
        for column in columns:
            instructions.append(
                [
                    sheet_name,
                    column.header,
                    _text("table.yes") if column.field.required else "",
                    _kind_help(column),
                ]
            )
    for letter, width in zip("ABCD", (14, 36, 8, 80), strict=True):
        instructions.column_dimensions[letter].width = width
    for name, columns in SHEETS.items():
        _fill_form_sheet(book.create_sheet(name), columns)
    save_workbook(book, path)


# ---------------------------------------------------------------------------
# Reading and checking a filled workbook
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    number: int
    values: dict[tuple[str, str], Any]

    def form(self, form: str) -> dict[str, Any]:
        return {name: value for (f, name), value in self.values.items() if f == form}


def _header_map(sheet: Any, name: str, columns: Sequence[Column]) -> dict[int, Column]:
    """Column index → Column, from the header row; every column must be there once."""
    first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    headers = ["" if h is None else str(h).strip() for h in first]
    wanted = {column.header: column for column in columns}
    found: dict[int, Column] = {}
    seen: set[str] = set()
    for index, header in enumerate(headers):
        if header in wanted:
            if header in seen:
                raise InvalidInput("registry.xlsx.duplicate_column", sheet=name, column=header)
            seen.add(header)
            found[index] = wanted[header]
    missing = [h for h in wanted if h not in seen]
    if missing:
        extra = [h for h in headers if h and h not in wanted]
        raise InvalidInput(
            "registry.xlsx.missing_columns",
            sheet=name,
            columns="、".join(missing),
            extra="、".join(extra) or _text("none"),
        )
    return found


def _cell_value(column: Column, value: Any) -> Any:
    """Excel's forms of a value, made what the form validators read."""
    if isinstance(value, str) and not value.strip():
        return None
    is_date = column.field.kind in _KIND_FORMAT
    if is_date and isinstance(value, int | float) and not isinstance(value, bool):
        converted = from_excel(value)
        return converted.date() if isinstance(converted, datetime) else converted
    if isinstance(value, datetime) and is_date:
        return value.date()
    return value


def _rows(sheet: Any, name: str, columns: Sequence[Column]) -> Iterator[_Row]:
    header = _header_map(sheet, name, columns)
    for number, raw in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        values = {}
        for index, column in header.items():
            value = raw[index] if index < len(raw) else None
            values[(column.form, column.field.name)] = _cell_value(column, value)
        if all(v is None for v in values.values()):
            continue
        yield _Row(number, values)


def _cell(sheet: str, row: int, error: FieldError) -> CellError:
    return CellError(sheet, row, label(error.form, error.field, "zh"), error.message)


def _check_agencies(
    session: Session, rows: Sequence[_Row], today: date
) -> tuple[list[dict[str, Any]], set[str], list[CellError]]:
    """The agency rows without errors (raw fields incl. checklist), every valid credit
    code in the sheet (rows with other errors included) and every error."""
    errors: list[CellError] = []
    good: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    for row in rows:
        raw = row.form("agency") | row.form("application")
        values, _, field_errors = validate_agency_fields(raw, today=today)
        code = values.get("credit_code")
        if code in first_row:
            field_errors.append(
                FieldError("credit_code", "registry.xlsx.repeated", {"row": first_row[code]})
            )
        elif code:
            first_row[code] = row.number
            duplicate = duplicate_credit_code(session, code)
            if duplicate:
                field_errors.append(duplicate)
        errors.extend(_cell(AGENCY_SHEET, row.number, e) for e in field_errors)
        if not field_errors:
            good.append(raw)
    return good, set(first_row), errors


def _check_consultants(
    session: Session, rows: Sequence[_Row], new_codes: set[str], today: date
) -> tuple[list[tuple[str, dict[str, Any]]], list[CellError]]:
    """Validated consultant rows with their agency's code, and every error."""
    errors: list[CellError] = []
    good: list[tuple[str, dict[str, Any]]] = []
    first_row: dict[tuple[str, str], int] = {}
    known: dict[str, int | None] = {}  # credit code → id of an agency already registered
    for row in rows:
        code, link_error = check_field(
            "agency", "credit_code", row.form("agency").get("credit_code")
        )
        link_errors = [link_error] if link_error else []
        raw = row.form("consultant")
        values, field_errors = validate_consultant_fields(raw, today=today)
        if code and code not in new_codes:
            if code not in known:
                known[code] = session.exec(
                    select(Agency.id).where(Agency.credit_code == code)
                ).first()
            if known[code] is None:
                link_errors.append(FieldError("credit_code", "registry.xlsx.unknown_agency"))
        number = values.get("id_number")
        if code and number:
            if (code, number) in first_row:
                field_errors.append(
                    FieldError(
                        "id_number",
                        "registry.xlsx.repeated",
                        {"row": first_row[(code, number)]},
                        "consultant",
                    )
                )
            else:
                first_row[(code, number)] = row.number
                agency_id = known.get(code)
                duplicate = (
                    duplicate_id_number(session, agency_id, number)
                    if agency_id is not None
                    else None
                )
                if duplicate:
                    field_errors.append(duplicate)
        all_errors = link_errors + field_errors
        errors.extend(_cell(CONSULTANT_SHEET, row.number, e) for e in all_errors)
        if not all_errors and code:
            good.append((code, raw))
    return good, errors


def import_workbook(session: Session, path: Path, *, today: date | None = None) -> ImportResult:
    """Check every row of both sheets, then register everything; flush, don't commit.

    Raises `InvalidInput` for a file that is not a usable workbook and
    `ImportErrors` (every cell error) if any row is wrong; nothing is added then."""
    today = today or date.today()
    with open_workbook(path) as book:
        missing = [name for name in SHEETS if name not in book.sheetnames]
        if missing:
            raise InvalidInput(
                "registry.xlsx.missing_sheet",
                sheets="、".join(missing),
                found="、".join(book.sheetnames) or _text("none"),
            )
        agency_rows = list(_rows(book[AGENCY_SHEET], AGENCY_SHEET, AGENCY_COLUMNS))
        consultant_rows = list(_rows(book[CONSULTANT_SHEET], CONSULTANT_SHEET, CONSULTANT_COLUMNS))
    if not agency_rows and not consultant_rows:
        raise InvalidInput("registry.xlsx.empty", path=path.name)
    agencies, new_codes, errors = _check_agencies(session, agency_rows, today)
    # consultants of an agency row with other errors are still checked against it
    consultants, consultant_errors = _check_consultants(session, consultant_rows, new_codes, today)
    errors += consultant_errors
    if errors:
        raise ImportErrors(errors)
    ids: dict[str, int] = {}
    for raw in agencies:
        agency = register_agency(session, raw, today=today)
        assert agency.id is not None
        ids[agency.credit_code] = agency.id
    existing = set()
    for code, raw in consultants:
        if code not in ids:
            agency_id = find_agency(session, code).id
            assert agency_id is not None
            ids[code] = agency_id
            existing.add(code)
        add_consultant(session, ids[code], raw, today=today)
    return ImportResult(len(agencies), len(consultants), len(existing))
