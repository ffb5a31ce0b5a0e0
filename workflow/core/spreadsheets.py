"""Writing xlsx and csv files that are safe to open: typed text never becomes a formula.

Agency, unit and consultant names, notes and reasons are typed by agencies and
admins and end up in the files the Association opens and publishes. openpyxl
stores any string starting with `=` as a formula, and Excel/WPS evaluate csv
cells starting with `=`, `+`, `-`, `@`, tab or carriage return (CSV/formula
injection, OWASP). The project writes no intentional formulas, so every xlsx
goes through `save_workbook` (text cells stay text) and every csv row through
`csv_writer` (dangerous text gets a leading `'`). Validation at input is not
enough: this is the last line of defence at output.

Reading goes through `open_workbook` alone: every imported workbook comes from
outside, so its size and its unpacked size are bounded from the zip directory
before anything is decompressed (a 2 MB file can unpack to gigabytes), and
openpyxl parses with defusedxml (a dependency), so entity expansion ("billion
laughs") and external entities (XXE) are refused in one line.
"""

from __future__ import annotations

import csv
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from workflow.core.errors import DomainError, InvalidInput

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


# ---------------------------------------------------------------------------
# Reading an imported workbook
# ---------------------------------------------------------------------------

MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
"""The largest workbook file read; a register of every agency is well under 1 MB."""
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
"""The most that all parts of a workbook may unpack to, by its zip directory."""
MAX_RATIO = 100
"""The most a large part may expand (Apache POI's zip-bomb bound); real sheets stay near 10."""
RATIO_FREE_BYTES = 1024 * 1024
"""Parts up to this size unpacked are not held to `MAX_RATIO` (tiny parts compress oddly)."""
MAX_PARTS = 10_000
"""The most parts a workbook may hold; Excel writes a few dozen."""
_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
"""What Excel and WPS write; other methods decompress in unbounded steps."""
_MALFORMED = (
    DefusedXmlException,
    ParseError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
)
"""What openpyxl raises while it reads rows from a damaged or hostile file."""


def _source_name(source: Path | IO[bytes]) -> str:
    return Path(source if isinstance(source, Path) else getattr(source, "name", "") or "").name


def _size(source: Path | IO[bytes]) -> int:
    if isinstance(source, Path):
        return source.stat().st_size
    end = source.seek(0, 2)
    source.seek(0)
    return end


def check_archive(source: Path | IO[bytes]) -> None:
    """Refuse a workbook whose file or zip directory is too large, or that is no zip at all.

    Only the directory is read: the declared sizes bound what decompression can
    produce (Python's zipfile stops at the declared size and fails the CRC check)."""
    name = _source_name(source)
    if isinstance(source, Path) and not source.is_file():
        raise InvalidInput("spreadsheets.no_file", path=str(source))
    if _size(source) > MAX_WORKBOOK_BYTES:
        raise InvalidInput(
            "spreadsheets.too_large", name=name, limit=MAX_WORKBOOK_BYTES // (1024 * 1024)
        )
    try:
        with zipfile.ZipFile(source) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise InvalidInput("spreadsheets.not_workbook", name=name) from None
    finally:
        if not isinstance(source, Path):
            source.seek(0)
    unpacked = sum(part.file_size for part in parts)
    if (
        len(parts) > MAX_PARTS
        or unpacked > MAX_UNPACKED_BYTES
        or any(_bomb(part) for part in parts)
    ):
        raise InvalidInput(
            "spreadsheets.unpacks_too_large", name=name, limit=MAX_UNPACKED_BYTES // (1024 * 1024)
        )
    if any(part.compress_type not in _COMPRESSIONS for part in parts):
        raise InvalidInput("spreadsheets.not_workbook", name=name)


def _bomb(part: zipfile.ZipInfo) -> bool:
    """Whether a part expands beyond any real sheet: large and over `MAX_RATIO` times its size."""
    return part.file_size > RATIO_FREE_BYTES and part.file_size > MAX_RATIO * part.compress_size


def _refusal(error: BaseException, name: str) -> InvalidInput:
    """The refusal for `error`; openpyxl wraps defusedxml's own in a ValueError."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return InvalidInput("spreadsheets.unsafe_xml", name=name)
        cause = cause.__cause__ or cause.__context__
    return InvalidInput("spreadsheets.not_workbook", name=name)


@contextmanager
def open_workbook(
    source: Path | IO[bytes], *, read_only: bool = True, data_only: bool = True
) -> Iterator[Workbook]:
    """The one way to open a workbook that came from outside; closed at the end of the block.

    `check_archive` runs first. Any failure to parse, at opening or while the
    block reads rows (read-only sheets are parsed lazily), becomes one
    `InvalidInput` naming the file, never a traceback; the block should only
    read cells, so that its own errors are not taken for a damaged file."""
    check_archive(source)
    name = _source_name(source)
    try:
        book = load_workbook(source, read_only=read_only, data_only=data_only)
    except DomainError:
        raise
    except Exception as error:  # openpyxl raises many kinds for a file that is not xlsx
        raise _refusal(error, name) from None
    try:
        yield book
    except _MALFORMED as error:
        raise _refusal(error, name) from None
    finally:
        book.close()
