"""Writing xlsx and csv files that are safe to open: typed text never becomes a formula.

Agency, unit and consultant names, notes and reasons are typed by agencies and
admins and end up in the files the Association opens and publishes. openpyxl
stores any string starting with `=` as a formula, and Excel/WPS evaluate csv
cells starting with `=`, `+`, `-`, `@`, tab or carriage return (CSV/formula
injection, OWASP). The project writes no intentional formulas, so every xlsx
goes through `save_workbook` (text cells stay text) and every csv row through
`csv_writer` (dangerous text gets a leading `'`). Validation at input is not
enough: this is the last line of defence at output.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make Excel or WPS read a csv cell as a formula."""
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def save_workbook(workbook: Workbook, target: Path | str | IO[bytes]) -> None:
    """Save `workbook` to a path or binary stream with every text cell stored as text.

    A string that openpyxl typed as a formula (`=…`) or an error code (`#REF!`)
    is turned back into plain text, marked with Excel's quote prefix so it also
    stays text when someone edits the cell.
    """
    for sheet in workbook.worksheets:
        if not isinstance(sheet, Worksheet):
            continue
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.data_type != "s":
                    cell.data_type = "s"
                    cell.quotePrefix = True
    workbook.save(target)


def csv_cell(value: object) -> object:
    """`value` for a csv cell: text that a spreadsheet would run as a formula gets a leading `'`.

    Numbers (also negative ones, and number-like text such as `-1.50`) and empty
    cells are written as they are.
    """
    if value is None or isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class CsvWriter:
    """`csv.writer` whose every cell goes through `csv_cell`."""

    def __init__(self, stream: IO[str], **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: IO[str], **options: Any) -> CsvWriter:
    """A csv writer on `stream` (options as for `csv.writer`) that neutralises formulas."""
    return CsvWriter(stream, **options)


def write_table_xlsx(
    path: Path,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Mapping[str, float] | None = None,
    anchor: str = "",
) -> None:
    """One sheet `title`: a bold header row, frozen, then `rows`; `widths` by column letter;
    `anchor` (the audit chain's `Seal.line`) below them after an empty row. The one way
    the project writes a published list as xlsx."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    if anchor:
        sheet.append([])
        sheet.append([anchor])
    for letter, width in (widths or {}).items():
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    save_workbook(book, path)


def write_table_csv(
    path: Path, headers: Sequence[str], rows: Iterable[Sequence[object]], anchor: str = ""
) -> None:
    """The same table as csv, UTF-8 with a BOM so that Excel reads the Chinese."""
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv_writer(stream)
        writer.writerow(headers)
        writer.writerows(rows)
        if anchor:
            writer.writerows([[], [anchor]])


def widths_in_order(widths: Sequence[float]) -> dict[str, float]:
    """Column widths given left to right, as `write_table_xlsx` takes them."""
    return {chr(ord("A") + index): width for index, width in enumerate(widths)}
