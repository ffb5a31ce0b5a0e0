"""`open_workbook`: the bounds are read from the zip directory, before openpyxl parses anything."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

import workflow.core.spreadsheets as spreadsheets
from tests.workflow.core.hostile_workbooks import ATTACKS, zip_bomb
from workflow.core.errors import InvalidInput
from workflow.core.spreadsheets import open_workbook


def test_the_bomb_is_refused_from_the_directory_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = zip_bomb(tmp_path / "bomb.xlsx", ["创建单位"])
    assert path.stat().st_size < 2 * 1024 * 1024

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("a part was decompressed")

    monkeypatch.setattr(spreadsheets, "load_workbook", never)
    monkeypatch.setattr(zipfile.ZipFile, "open", never)
    refusal = "不是有效的 Excel 工作簿：解压后的内容超过 100 MB"
    with pytest.raises(InvalidInput, match=refusal), open_workbook(path):
        pass


def test_an_absurd_compression_ratio_is_refused_below_the_size_bound(tmp_path: Path) -> None:
    path = tmp_path / "dense.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/worksheets/sheet1.xml", b"<c/>" * (10 * 1024 * 1024))
    with pytest.raises(InvalidInput, match="压缩比异常"), open_workbook(path):
        pass


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_stream_is_held_to_the_same_bounds(tmp_path: Path, attack: str) -> None:
    data = ATTACKS[attack](tmp_path / "upload.xlsx", ["创建单位"]).read_bytes()
    with (
        pytest.raises(InvalidInput, match="Excel 工作簿"),
        open_workbook(io.BytesIO(data), read_only=False),
    ):
        pass


def test_a_sheet_cut_short_is_refused_while_its_rows_are_read(tmp_path: Path) -> None:
    """Read-only sheets are parsed lazily: the error comes inside the block, not at opening."""
    path = tmp_path / "x.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for number in range(2000):
        sheet.append([f"单位{number}", "东城区"])
    book.save(path)
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"][:-5000]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    with pytest.raises(InvalidInput, match="或已损坏"), open_workbook(path) as opened:
        list(opened.worksheets[0].iter_rows(values_only=True))


def test_a_real_workbook_opens(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["名称", "区"])
    book.save(tmp_path / "ok.xlsx")
    with open_workbook(tmp_path / "ok.xlsx") as opened:
        assert list(opened.worksheets[0].iter_rows(values_only=True)) == [("名称", "区")]
