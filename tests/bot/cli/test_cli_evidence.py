"""`safecomm evidence AGENCY YEAR`: the desk printed indicator by indicator, and the
evidence pack — files named by indicator/unit/date/kind, an index with working relative
links, missing files listed as missing, a zip, and nothing half-written on failure."""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from tests.bot.conftest import Cli
from tests.workflow.guidance.desk_world import Year, recorded_year
from workflow.core.settings import get_settings
from workflow.guidance import pack as pack_module
from workflow.guidance.pack import INDEX_NAME, LINK_COLUMN, safe_name

PHOTO = "2026-03-05-培训（风险辨识）-1.jpg"


@pytest.fixture
def year(db: Engine, tmp_path: Path) -> Year:
    return recorded_year(db, get_settings(), tmp_path)


def _index(folder: Path) -> list[tuple[object, ...]]:
    sheet = load_workbook(folder / INDEX_NAME).worksheets[0]
    return [tuple(c.value for c in row) for row in sheet.iter_rows(min_row=2)]


def test_the_desk_is_printed_indicator_by_indicator(year: Year, cli: Cli) -> None:
    code, out, err = cli("evidence", str(year.world.agency_id), "2026")
    assert code == 0, err
    assert "【1.2】组织风险辨识培训会议  系统建议：有此项内容，有证据" in out
    assert "培训合计 4 次（每家创建单位不少于 5 次，1 家不足）" in out
    assert "! 幸福里社区：培训 4 次，不少于 5 次，还差 1 次" in out
    assert "文件：签到表.jpg" in out and "［文促会代录］" in out
    assert out.index("【2.5】") < out.index("【3】") < out.index("【4.1】") < out.index("【B3】")
    code, out, _ = cli("evidence", str(year.world.agency_id), "2026", "--indicator", "2.4")
    assert code == 0 and "【2.4】" in out and "【1.2】" not in out and "项目书.pdf" in out


def test_an_unknown_indicator_is_one_clear_line(year: Year, cli: Cli) -> None:
    code, out, err = cli("evidence", str(year.world.agency_id), "2026", "--indicator", "9.9")
    assert code == 1 and out == ""
    assert err.startswith("错误：“9.9”不是可查阅的指标。可选：1.1、")


def test_the_pack_names_files_by_indicator_and_links_them_from_the_index(
    year: Year, cli: Cli, tmp_path: Path
) -> None:
    target = tmp_path / "证据包"
    code, out, err = cli("evidence", str(year.world.agency_id), "2026", "--pack", str(target))
    assert code == 0, err
    assert f"证据包已生成：{target}（索引 8 行，其中缺失 0 个文件）" in out
    photo_12, photo_41 = (
        target / "1.2" / "幸福里社区" / PHOTO,
        target / "4.1" / "幸福里社区" / PHOTO,
    )
    assert photo_12.read_bytes() == photo_41.read_bytes() == b"\xff\xd8 sign-in"
    assert os.path.samefile(photo_12, photo_41)  # linked, not copied twice
    assert (target / "4.3" / "机构提交材料" / "2026-12-01-年度工作情况报告-1.pdf").is_file()
    assert (target / "3" / "座谈会" / "2026-12-05-座谈会纪要-1.pdf").is_file()
    lines = _index(target)
    assert len(lines) == 8
    first = lines[0]
    assert first[:5] == (
        "1.2",
        "组织风险辨识培训会议",
        "幸福里社区",
        "2026-03-05",
        "培训（风险辨识）",
    )
    assert first[6] == "签到表.jpg" and len(str(first[8])) == 12
    report = next(line for line in lines if line[0] == "4.3")
    digest = hashlib.sha256(b"%PDF-1.7 report").hexdigest()
    assert report[6] == "report.pdf" and report[8] == digest[:12]
    sheet = load_workbook(target / INDEX_NAME).worksheets[0]
    for row in range(2, sheet.max_row + 1):
        link = sheet.cell(row, LINK_COLUMN).hyperlink
        assert link is not None and (target / link.target).is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_missing_file_is_listed_as_missing(year: Year, cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "doc1.pdf").unlink()  # the 'evidence' upload's stored file is gone
    target = tmp_path / "pack"
    code, out, err = cli("evidence", str(year.world.agency_id), "2026", "--pack", str(target))
    assert code == 0, err
    assert "其中缺失 1 个文件" in out
    (missing,) = [line for line in _index(target) if line[6] == "evidence.pdf"]
    assert missing[9] == "缺失：存储的文件未找到"
    sheet = load_workbook(target / INDEX_NAME).worksheets[0]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 7).value == "evidence.pdf")
    assert sheet.cell(row, LINK_COLUMN).hyperlink is None
    code, out, _ = cli("evidence", str(year.world.agency_id), "2026", "--indicator", "4.2")
    assert "文件：evidence.pdf" in out and "［缺失：存储的文件未找到］" in out


def test_zip_holds_the_same_pack(year: Year, cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "pack"
    agency = str(year.world.agency_id)
    code, out, err = cli(
        "evidence", agency, "2026", "--indicator", "1.2", "--pack", str(target), "--zip"
    )
    assert code == 0, err
    assert f"压缩包已生成：{target.with_suffix('.zip')}" in out
    with zipfile.ZipFile(target.with_suffix(".zip")) as archive:
        names = sorted(archive.namelist())
        assert names == [f"pack/1.2/幸福里社区/{PHOTO}", f"pack/{INDEX_NAME}"]
        assert archive.read(f"pack/1.2/幸福里社区/{PHOTO}") == b"\xff\xd8 sign-in"


def test_a_failed_pack_leaves_nothing_and_an_existing_one_is_kept(
    year: Year, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "pack"
    copies = 0
    real_copy = shutil.copyfile

    def failing_copy(source: str, destination: Path) -> object:
        nonlocal copies
        copies += 1
        if copies == 3:
            raise OSError(28, "No space left on device", str(destination))
        return real_copy(source, destination)

    monkeypatch.setattr(pack_module.shutil, "copyfile", failing_copy)
    code, _, err = cli(
        "evidence", str(year.world.agency_id), "2026", "--pack", str(target), "--zip"
    )
    assert code == 1 and "No space left on device" in err
    assert not target.exists() and not target.with_suffix(".zip").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    monkeypatch.undo()
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    code, _, err = cli("evidence", str(year.world.agency_id), "2026", "--pack", str(target))
    assert code == 1 and "已存在" in err and (target / "keep.txt").read_text() == "mine"


def test_file_names_are_safe_everywhere() -> None:
    assert safe_name('a/b\\c:d*e?"f<g>h|') == "a_b_c_d_e_f_g_h_"
    assert safe_name("..隐藏. ") == "隐藏"
    assert safe_name("第 1 社区#2 100%") == "第_1_社区_2_100_"
    assert safe_name("") == "_" and len(safe_name("长" * 100)) == 40
