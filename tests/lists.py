"""Reading back a published list (register, round lists, results, exit list): the table,
and the audit anchor line every one of them ends with."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook

ANCHOR_STARTS = ("审计日志锚点：", "Audit anchor:")


def published(path: Path) -> tuple[list[list[object]], str]:
    """(header and rows, anchor line) of a published .csv or .xlsx list."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows: list[list[object]] = [list(row) for row in csv.reader(handle)]
    else:
        sheet = load_workbook(path).active
        assert sheet is not None
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    *table, blank, (anchor, *_) = rows
    assert not any(blank) and str(anchor).startswith(ANCHOR_STARTS), rows[-2:]
    return table, str(anchor)


def table(path: Path) -> list[list[object]]:
    """The header and rows of a published list, its anchor line checked and left off."""
    return published(path)[0]
