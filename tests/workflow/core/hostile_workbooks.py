"""Builders of hostile .xlsx files: a zip bomb, entity expansion ("billion laughs"), XXE.

Each starts from a real workbook openpyxl writes with the sheets an importer
expects, then rewrites its parts, so only the attack makes it unreadable."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from openpyxl import Workbook

BOMB_BYTES = 200 * 1024 * 1024
"""What the bomb's sheet unpacks to: twice the bound, a hundred times a real register."""

LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)).replace(
        "&lol0;", "&lol;"
    )
    + "]>\n"
)
XXE = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE x [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'


def _workbook(path: Path, sheets: Sequence[str]) -> None:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = sheets[0]
    for name in sheets[1:]:
        book.create_sheet(name)
    for sheet in book.worksheets:
        sheet.append(["名称", "区"])
    book.save(path)


def _rewrite(path: Path, change: Callable[[str, bytes], bytes | None]) -> None:
    """Copy every part through `change` (None: write it as a big streamed sheet instead)."""
    with zipfile.ZipFile(path) as source:
        parts = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts:
            changed = change(name, data)
            if changed is None:
                _stream_bomb(target, name)
            else:
                target.writestr(name, changed)


def _stream_bomb(target: zipfile.ZipFile, name: str) -> None:
    head = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 20_000
    with target.open(name, "w", force_zip64=True) as part:
        part.write(head)
        for _ in range(BOMB_BYTES // len(row)):
            part.write(row)
        part.write(b"</sheetData></worksheet>")


def _is_sheet(name: str) -> bool:
    return name.startswith("xl/worksheets/sheet")


def _with_doctype(data: bytes, doctype: str, cell: str) -> bytes:
    """`data` with `doctype` before its root and `cell` (referring to the entity) in row 1."""
    body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
    body = body.replace(b"</row>", cell.encode() + b"</row>", 1)
    return doctype.encode() + body.lstrip()


def zip_bomb(path: Path, sheets: Sequence[str]) -> Path:
    """Every sheet unpacks to `BOMB_BYTES` of repeated cells; the file stays small."""
    _workbook(path, sheets)
    _rewrite(path, lambda name, data: None if _is_sheet(name) else data)
    return path


def laughs_in_workbook(path: Path, sheets: Sequence[str]) -> Path:
    """xl/workbook.xml declares entities that expand to 10⁹ "lol"s."""
    _workbook(path, sheets)
    _rewrite(
        path,
        lambda name, data: _with_doctype(data, LAUGHS, "") if name == "xl/workbook.xml" else data,
    )
    return path


def laughs_in_sheets(path: Path, sheets: Sequence[str]) -> Path:
    """Every sheet expands `&lol9;` in a cell of its first row."""
    cell = '<c r="C1" t="inlineStr"><is><t>&lol9;</t></is></c>'
    _workbook(path, sheets)
    _rewrite(
        path, lambda name, data: _with_doctype(data, LAUGHS, cell) if _is_sheet(name) else data
    )
    return path


def external_entity(path: Path, sheets: Sequence[str]) -> Path:
    """Every sheet shows /etc/passwd in a cell of its first row, if its entity is resolved."""
    cell = '<c r="C1" t="inlineStr"><is><t>&x;</t></is></c>'
    _workbook(path, sheets)
    _rewrite(path, lambda name, data: _with_doctype(data, XXE, cell) if _is_sheet(name) else data)
    return path


def oversized(path: Path, sheets: Sequence[str]) -> Path:
    """A real workbook padded with an incompressible part past the file-size bound."""
    _workbook(path, sheets)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as book:
        book.writestr("xl/media/padding.bin", bytes(range(256)) * (21 * 4096))
    return path


def renamed_csv(path: Path, sheets: Sequence[str]) -> Path:
    """A csv file saved under an .xlsx name."""
    path.write_bytes(",".join(sheets).encode("gbk") + b"\n1,2\n")
    return path


ATTACKS = {
    "zip bomb": zip_bomb,
    "billion laughs in workbook.xml": laughs_in_workbook,
    "billion laughs in a sheet": laughs_in_sheets,
    "external entity": external_entity,
    "file too large": oversized,
    "renamed csv": renamed_csv,
}
"""Each attack → the builder of its file."""
