"""The evidence pack: the desk's files copied into one folder (and optionally a zip),
named `<indicator>/<unit>/<date>-<kind>-<n>.<ext>`, with an index `索引.xlsx` holding one
line per file and a relative hyperlink to it, so the experts open every file from the
spreadsheet on any machine.

The pack is written into a temporary folder beside the target and renamed into place at
the end: a failed pack leaves nothing half-written. A file standing under several
indicators is copied once and hard-linked into the other folders (each indicator folder is
complete on its own, and the disk holds the bytes once); where the file system refuses
links it is copied again. Symbolic links are not used: they break inside a zip and on
Windows. A stored file that is missing is listed in the index as missing, not copied.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from workflow.core.errors import Refused
from workflow.core.i18n import workflow_texts
from workflow.core.spreadsheets import save_workbook, widths_in_order
from workflow.guidance.desk import FORUM, Desk, DeskFile
from workflow.guidance.evidence import checksum

INDEX_NAME = "索引.xlsx"
NAME_LIMIT = 40
_UNSAFE = re.compile(r'[\\/:*?"<>|#%\s\x00-\x1f\x7f]+')
"""Characters Windows forbids in names, and those a hyperlink target would read as part
of a URL (`#`, `%`, spaces), so the index links open as written."""
_HEADERS = (
    "indicator",
    "name",
    "unit",
    "day",
    "what",
    "description",
    "original",
    "size",
    "sha256",
    "link",
)
_WIDTHS = (8, 30, 20, 12, 18, 30, 28, 10, 16, 44)
LINK_COLUMN = _HEADERS.index("link") + 1


def _t(key: str, language: str | None = None, **params: object) -> str:
    return workflow_texts.text(f"desk.{key}", language, **params)


def safe_name(text: str, fallback: str = "_") -> str:
    """`text` as one file or folder name on Windows, macOS and Linux and in a link: no
    separators, reserved characters or spaces, no leading or trailing dot, at most
    `NAME_LIMIT`."""
    name = _UNSAFE.sub("_", text.strip()).lstrip(".").rstrip(".")[:NAME_LIMIT].rstrip(".")
    return name or fallback


@dataclass(frozen=True)
class PackResult:
    folder: Path
    archive: Path | None
    files: int
    """Lines in the index (one per file and indicator)."""
    copied_bytes: int
    missing: int


def _unit_folder(item: DeskFile, language: str | None) -> str:
    if item.unit:
        return safe_name(item.unit)
    return _t("forum_folder" if item.indicator == FORUM else "agency_folder", language)


def write_pack(
    desk: Desk, target: Path, *, archive: bool = False, language: str | None = None
) -> PackResult:
    """Write the desk's files and the index into the new folder `target` (refused if it
    exists), and `target`.zip beside it when `archive`."""
    if target.exists() or (archive and target.with_suffix(".zip").exists()):
        shown = target if target.exists() else target.with_suffix(".zip")
        raise Refused("desk.pack_exists", path=shown)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    work.chmod(0o755)  # mkdtemp's folder is private; the pack is for the experts to read
    try:
        lines, copied, missing = _fill(desk, work, language)
        _index(desk, work / INDEX_NAME, lines, language)
        zip_path = None
        if archive:
            zip_path = target.with_suffix(".zip")
            partial = work.parent / f".{zip_path.name}.part"
            _zip(work, partial, target.name)
            os.replace(partial, zip_path)
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if archive:
            (work.parent / f".{target.with_suffix('.zip').name}.part").unlink(missing_ok=True)
        raise
    return PackResult(target, zip_path, len(lines), copied, missing)


def _fill(
    desk: Desk, work: Path, language: str | None
) -> tuple[list[tuple[DeskFile, str | None]], int, int]:
    """Copy (or link) every file; each line with its relative path, None when missing.
    Uploads and forum minutes have no stored checksum: theirs is taken here."""
    lines: list[tuple[DeskFile, str | None]] = []
    first_copy: dict[str, Path] = {}
    used: set[str] = set()
    folders: set[str] = set()
    copied = missing = 0
    for item in desk.files:
        if not item.present:
            lines.append((item, None))
            missing += 1
            continue
        stem = f"{item.day.isoformat()}-{safe_name(item.what)}"
        folder = f"{safe_name(item.indicator)}/{_unit_folder(item, language)}"
        extension = f".{safe_name(item.extension)}" if item.extension else ""
        n = 1
        while f"{folder}/{stem}-{n}{extension}" in used:
            n += 1
        relative = f"{folder}/{stem}-{n}{extension}"
        used.add(relative)
        path = work / relative
        if folder not in folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.add(folder)
        if not item.sha256:
            item = replace(item, sha256=checksum(Path(item.stored_path))[0])
        source = first_copy.get(item.stored_path)
        if source is not None:
            try:
                os.link(source, path)
            except OSError:
                shutil.copyfile(source, path)
        else:
            shutil.copyfile(item.stored_path, path)
            first_copy[item.stored_path] = path
            copied += path.stat().st_size
        lines.append((item, relative))
    return lines, copied, missing


def _index(
    desk: Desk, path: Path, lines: list[tuple[DeskFile, str | None]], language: str | None
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _t("index.sheet", language)
    sheet.append([_t(f"index.{name}", language) for name in _HEADERS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    names = {item.code: item.name for item in desk.indicators}
    for item, relative in lines:
        sheet.append(
            [
                item.indicator,
                names.get(item.indicator, ""),
                item.unit or _unit_folder(item, language),
                item.day.isoformat(),
                item.what,
                item.description,
                item.original_name,
                round(item.size / 1024, 1),
                item.sha256[:12],
                relative or _t("index.missing", language),
            ]
        )
        if relative is not None:
            cell = sheet.cell(sheet.max_row, LINK_COLUMN)
            cell.hyperlink = relative
            cell.style = "Hyperlink"
    for letter, width in widths_in_order(_WIDTHS).items():
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    save_workbook(book, path)


def _zip(folder: Path, target: Path, root: str) -> None:
    """The folder as a zip whose entries sit under `root/`; photos and PDFs are compressed
    already, so files are stored, not deflated."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{root}/{path.relative_to(folder).as_posix()}")
