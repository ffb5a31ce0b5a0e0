"""`safecomm guidance …` as an admin uses it: guidance records by programme, the year's
guidance work recorded on an agency's behalf, its files, the status and the bulk import."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.bot.conftest import Cli
from tests.builders import make_agency
from workflow.core import clock
from workflow.guidance import activities, spreadsheet
from workflow.guidance.models import EvidenceFile, GuidanceActivity
from workflow.lifecycle.models import AuditEntry
from workflow.registry.models import Agency

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def guided(db: Engine, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Agency:
    """An agency guiding 和平里街道 (safe community) in 2026; today is 20 November 2026."""
    monkeypatch.setattr(activities, "utcnow", lambda: NOW)
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    with Session(db, expire_on_commit=False) as session:
        agency = make_agency(session, consultants=0, seniors=0)
    cli("unit", "add", "和平里街道", "--district", "东城区", "--safe-community")
    code, _, err = cli("guidance", "add", "和平里街道", agency.name, "2026")
    assert code == 0, err
    return agency


def test_guidance_records_name_their_programme_and_start(db: Engine, cli: Cli) -> None:
    with Session(db, expire_on_commit=False) as session:
        agency = make_agency(session, consultants=0, seniors=0)
    cli("unit", "add", "和平里街道", "--district", "东城区", "--safe-community")
    cli(
        "unit",
        "add",
        "双创社区",
        "--district",
        "西城区",
        "--safe-community",
        "--disaster-reduction",
    )
    code, _, err = cli(
        "guidance", "add", "和平里街道", agency.credit_code, "2026", "--programme", "两者"
    )
    assert code == 1 and err.count("\n") == 1
    assert "未参加“综合减灾示范社区”创建" in err
    code, out, _ = cli("guidance", "add", "和平里街道", agency.credit_code, "2026")
    assert out.strip() == (
        f"已记录：{agency.name} 在 2026年指导 东城区 和平里街道（安全社区，指导开始日期：1月1日）。"
    )
    code, out, _ = cli(
        "guidance", "add", "双创社区", agency.name, "2026", "--programme", "综合减灾示范社区",
        "--start", "2026-04-01",
    )  # fmt: skip
    assert code == 0 and "综合减灾示范社区，指导开始日期：2026-04-01" in out
    code, out, _ = cli("guidance", "records", "2026")
    lines = out.splitlines()
    assert lines[0].split() == ["咨询服务机构", "区", "创建单位", "创建类型", "指导开始日期"]
    assert lines[2].split()[-3:] == ["和平里街道", "安全社区", "1月1日"]
    assert lines[3].split()[-3:] == ["双创社区", "综合减灾示范社区", "2026-04-01"]


def test_record_list_edit_and_delete_on_the_agencys_behalf(
    guided: Agency, db: Engine, cli: Cli, tmp_path: Path
) -> None:
    photo = tmp_path / "签到表.jpg"
    photo.write_bytes(b"\xff\xd8 sign-in sheet")
    code, out, err = cli(
        "guidance", "record", guided.name, "和平里街道", "培训", "2026-03-05",
        "--topic", "风险辨识", "--attendance", "35", "--file", str(photo),
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == (
        f"已代 {guided.name} 记录指导工作 #1：和平里街道，培训（风险辨识），2026-03-05；佐证文件 1 个。"
    )
    code, out, _ = cli("guidance", "list", str(guided.id), "2026")
    assert "培训（风险辨识）" in out and "文促会代录" in out and "签到表.jpg" in out
    assert "training" not in out and "risk_identification" not in out
    code, out, err = cli("guidance", "edit", "1", "--date", "2026-03-06", "--reason", "日期录错")
    assert code == 0 and "2026-03-06" in out, err
    with Session(db) as session:
        stored = session.get(GuidanceActivity, 1)
        assert stored is not None and (stored.topic, stored.attendance, stored.revision) == (
            "risk_identification",
            35,
            2,
        )
        path = Path(session.exec(select(EvidenceFile)).one().stored_path)
    assert path.is_file()
    code, _, err = cli("guidance", "delete", "1", "--reason", " ")
    assert code == 1 and "请写明原因" in err
    code, out, _ = cli("guidance", "delete", "1", "--reason", "重复录入")
    assert code == 0 and "佐证文件 1 个" in out
    assert not path.exists()
    with Session(db) as session:
        triggers = [e.trigger for e in session.exec(select(AuditEntry)).all()]
    assert triggers[-4:] == ["guidance.add", "guidance.attach", "guidance.edit", "guidance.delete"]


def test_bad_input_is_one_clear_line_and_stores_nothing(
    guided: Agency, db: Engine, cli: Cli, tmp_path: Path
) -> None:
    script = tmp_path / "run.exe"
    script.write_bytes(b"MZ")
    for argv, words in (
        (("联欢会", "2026-03-05"), "不是可记录的工作类型"),
        (("启动会", "2026-12-01"), "晚于今天"),
        (("启动会", "2026-03-05", "--detail", "居民=3"), "“启动会”不填写“居民”"),
        (("领导机构", "2026-03-05", "--detail", "居民"), "栏目=数值"),
        (("启动会", "2026-03-05", "--file", str(script)), "jpg"),
    ):
        code, _, err = cli("guidance", "record", str(guided.id), "和平里街道", *argv)
        assert code == 1 and err.startswith("错误：") and err.count("\n") == 1, err
        assert words in err
    with Session(db) as session:
        assert session.exec(select(GuidanceActivity)).all() == []
    uploads = Path("uploads")
    assert not uploads.exists() or not [p for p in uploads.rglob("*") if p.is_file()]


def test_attach_and_detach_files(guided: Agency, db: Engine, cli: Cli, tmp_path: Path) -> None:
    cli("guidance", "record", guided.name, "和平里街道", "启动会", "2026-02-10")
    first, second = tmp_path / "纪要.pdf", tmp_path / "照片.png"
    first.write_bytes(b"%PDF minutes")
    second.write_bytes(b"\x89PNG photo")
    code, out, err = cli("guidance", "attach", "1", str(first), str(second))
    assert code == 0 and "佐证文件 2 个" in out, err
    code, _, err = cli("guidance", "attach", "1", str(first))
    assert code == 1 and "已作为佐证材料上传过" in err
    with Session(db) as session:
        rows = session.exec(select(EvidenceFile).order_by(EvidenceFile.id)).all()
        paths = [Path(r.stored_path) for r in rows]
    assert len(paths) == 2
    code, out, _ = cli("guidance", "detach", "1", "--reason", "传错文件")
    assert code == 0 and not paths[0].exists() and paths[1].exists()


def test_status_shows_the_shortfalls_and_writes_xlsx(
    guided: Agency, cli: Cli, tmp_path: Path
) -> None:
    cli("guidance", "record", guided.name, "和平里街道", "启动会", "2026-02-10")
    target = tmp_path / "指导工作情况.xlsx"
    code, out, err = cli("guidance", "status", "2026", "--xlsx", str(target))
    assert code == 0, err
    assert "截至 2026-11-20" in out and "培训 0 次，不少于 5 次，还差 5 次" in out
    assert "未记录启动会" not in out and "2026年第1季度" in out
    sheet = load_workbook(target).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][:3] == ["咨询服务机构", "区", "创建单位"]
    assert sheet["A2"].value == guided.name and "还差 15 个" in str(sheet["K2"].value)
    code, out, _ = cli("guidance", "status", "2025")
    assert code == 0 and out.strip() == "2025年没有指导记录。"


def test_template_and_import_with_files(
    guided: Agency, db: Engine, cli: Cli, tmp_path: Path
) -> None:
    template = tmp_path / "指导工作.xlsx"
    code, out, _ = cli("guidance", "template", str(template))
    assert code == 0 and "指导工作" in out
    code, _, err = cli("guidance", "import", str(template))
    assert code == 1 and "示例行不导入" in err
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "方案.pdf").write_bytes(b"%PDF plan")
    book = load_workbook(template)
    names = [name for name, _, _ in spreadsheet.COLUMNS]
    row = {
        "agency": guided.credit_code,
        "unit": "和平里街道",
        "district": "东城区",
        "kind": "方案计划",
        "topic": "总体方案",
        "held_on": "2026-03-01",
        "files": "方案.pdf",
    }
    book[spreadsheet.ACTIVITY_SHEET].append([row.get(n) for n in names])
    book[spreadsheet.ACTIVITY_SHEET].append([(row | {"kind": "联欢会"}).get(n) for n in names])
    book.save(template)
    code, _, err = cli("guidance", "import", str(template), "--files", str(folder))
    assert code == 1 and "第4行：“联欢会”不是可记录的工作类型" in err
    book[spreadsheet.ACTIVITY_SHEET].delete_rows(4)
    book.save(template)
    code, out, err = cli("guidance", "import", str(template), "--files", str(folder))
    assert code == 0 and out.strip() == "导入完成：指导工作 1 项，佐证文件 1 个。", err
    with Session(db) as session:
        stored = session.exec(select(GuidanceActivity)).one()
        assert (stored.kind, stored.topic, stored.on_behalf) == ("plan", "overall", True)
