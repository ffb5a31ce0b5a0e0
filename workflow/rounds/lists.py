"""The lists a round publishes (the interview list, the filing list) as xlsx and csv,
written by the caller after the commit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from workflow.core.spreadsheets import widths_in_order, write_table_csv, write_table_xlsx


def file_stem(round_name: str) -> str:
    """The round's name as a file name: no path separators, quotes or spaces."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", round_name).strip("_") or "round"


def write_list(
    directory: Path,
    stem: str,
    sheet_title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    csv_rows: Sequence[Sequence[object]],
    widths: Sequence[int],
    anchor: str = "",
) -> list[Path]:
    """`<stem>.xlsx` and `<stem>.csv` (UTF-8 with BOM, so Excel reads the Chinese); both
    or neither: a failure half-way removes what was written."""
    directory.mkdir(parents=True, exist_ok=True)
    xlsx = directory / f"{stem}.xlsx"
    csv_path = directory / f"{stem}.csv"
    try:
        write_table_xlsx(xlsx, sheet_title, headers, rows, widths_in_order(widths), anchor)
        write_table_csv(csv_path, headers, csv_rows, anchor)
    except BaseException:
        xlsx.unlink(missing_ok=True)
        csv_path.unlink(missing_ok=True)
        raise
    return [xlsx, csv_path]
