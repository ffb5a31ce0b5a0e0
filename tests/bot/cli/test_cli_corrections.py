"""`safecomm agency set`, `consultant set`, `consultant remove` (RULES.md, Registration:
"Registered data can be corrected and consultants removed (staff leave: Art. 14(3));
every change is kept in the audit log with who and why, and eligibility is re-checked
after it")."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.bot.conftest import Cli
from tests.builders import make_agency
from workflow.core.settings import get_settings
from workflow.lifecycle.models import AuditEntry
from workflow.registry.models import Agency, Consultant, ConsultantPhoto, status_writer


def test_agency_set_corrects_audits_and_re_checks(db: Engine, cli: Cli) -> None:
    with Session(db, expire_on_commit=False) as session:
        agency = make_agency(session, principal_mobile="13812345678")
    code, out, err = cli(
        "agency", "set", str(agency.id), "手机", "13911112222", "--reason", "负责人换号"
    )
    assert (code, err) == (0, "")
    assert f"已更正 {agency.name} " in out and "138****5678 → 139****2222" in out
    assert "13911112222" not in out and "13812345678" not in out
    assert "【更正后重新进行第八条资格审查】" in out
    with Session(db) as session:
        assert session.get(Agency, agency.id).principal_mobile == "13911112222"
        entry = session.exec(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None and entry.trigger == "registry.correct"
    assert entry.reason == "负责人换号" and entry.actor_name


def test_agency_set_refuses_a_bad_value_and_a_missing_reason(db: Engine, cli: Cli) -> None:
    with Session(db, expire_on_commit=False) as session:
        agency = make_agency(session)
    code, _, err = cli("agency", "set", str(agency.id), "postcode", "10002", "--reason", "x")
    assert code != 0 and "邮编" in err
    code, _, err = cli("agency", "set", str(agency.id), "postcode", "100021")
    assert code != 0 and "请填写更正或移除的原因" in err
    with Session(db) as session:
        assert session.get(Agency, agency.id).postcode == agency.postcode
        assert session.exec(select(AuditEntry)).all() == []


def test_consultant_set_and_remove(db: Engine, cli: Cli) -> None:
    """Art. 8(4) at least 5 consultants: one leaves and the re-check says 4 < 5."""
    with Session(db, expire_on_commit=False) as session:
        agency = make_agency(session, consultants=5)
        first = session.exec(select(Consultant).order_by(Consultant.id)).first()
    assert first is not None
    code, out, err = cli(
        "consultant",
        "set",
        str(agency.id),
        str(first.id),
        "职称",
        "工程师",
        "--reason",
        "职称核实有误",
    )
    assert (code, err) == (0, "")
    assert "专业技术职务：高级工程师 → 工程师" in out and "高级职称：是 → 否" in out
    assert "少于 2 名" in out
    code, out, err = cli(
        "consultant", "remove", str(agency.id), str(first.id), "--reason", "已离职"
    )
    assert (code, err) == (0, "")
    assert f"已从 {agency.name} 移除咨询人员 {first.name}" in out
    assert "✗ 咨询人员 5 名以上：咨询人员 4 名" in out
    with Session(db) as session:
        assert session.get(Consultant, first.id) is None
        triggers = [e.trigger for e in session.exec(select(AuditEntry)).all()]
    assert triggers[-1] == "registry.remove_consultant"


def test_correcting_a_filed_agency_writes_the_register_again(
    db: Engine, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Art. 6 "向社会公布": the register carries the contact details, so a correction
    of a listed agency's office phone writes it again."""
    with Session(db, expire_on_commit=False) as session:
        agency = make_agency(session, name="甲咨询公司")
        with status_writer():
            agency.status = "filed"
        session.add(agency)
        session.commit()
    folder = tmp_path / "公开目录"
    monkeypatch.setenv("SAFECOMM_REGISTER_DIR", str(folder))
    get_settings.cache_clear()
    code, out, err = cli(
        "agency", "set", str(agency.id), "办公电话", "010-65009876", "--reason", "电话变更"
    )
    assert (code, err) == (0, "")
    assert "备案机构名录已更新" in out
    day = datetime.now(get_settings().zone).date().isoformat()
    assert "010-65009876" in (folder / f"备案机构名录-{day}.csv").read_text(encoding="utf-8-sig")


def test_consultant_photo_stores_the_image_and_refuses_text(
    db: Engine, cli: Cli, tmp_path: Path
) -> None:
    with Session(db, expire_on_commit=False) as session:
        agency = make_agency(session, consultants=1)
        first = session.exec(select(Consultant)).one()
    fake = tmp_path / "photo.jpg"
    fake.write_text("not an image", encoding="utf-8")
    code, _, err = cli(
        "consultant", "photo", str(agency.id), str(first.id), str(fake), "--reason", "x"
    )
    assert code != 0 and "照片应为 JPEG 或 PNG 图片文件" in err
    real = tmp_path / "photo.png"
    real.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048)
    code, out, err = cli(
        "consultant", "photo", str(agency.id), str(first.id), str(real), "--reason", "补交照片"
    )
    assert (code, err) == (0, "")
    assert "照片（image/png 图片 2 KB" in out
    with Session(db) as session:
        assert session.get(ConsultantPhoto, first.id).data == real.read_bytes()


def test_changes_workbook_is_all_or_nothing_and_names_every_bad_cell(
    db: Engine, cli: Cli, tmp_path: Path
) -> None:
    """Issue 11 item 5: corrections by xlsx import of changes, every bad cell named."""
    from openpyxl import load_workbook

    with Session(db, expire_on_commit=False) as session:
        agency = make_agency(session, consultants=5)
        first = session.exec(select(Consultant).order_by(Consultant.id)).first()
    assert first is not None
    path = tmp_path / "更正.xlsx"
    code, out, _ = cli("agency", "changes-template", str(path))
    assert code == 0 and "示例行不导入" in out
    book = load_workbook(path)
    sheet = book["更正登记"]
    sheet.append([agency.credit_code, "", "办公电话", "010-65009876", "电话变更"])
    sheet.append([agency.credit_code, str(first.id), "移动电话", "123", "换号"])
    sheet.append([agency.credit_code, "", "颜色", "红", "x"])
    sheet.append([agency.credit_code, str(first.id), "移除", "", ""])
    book.save(path)
    code, _, err = cli("agency", "changes", str(path))
    assert code != 0
    assert "工作表 更正登记 第 5 行 新值：移动电话：" in err
    assert "工作表 更正登记 第 6 行 栏目：" in err
    assert "工作表 更正登记 第 7 行 原因：" in err
    assert "共 3 处错误，未写入任何内容" in err
    with Session(db) as session:
        assert session.get(Agency, agency.id).office_phone == agency.office_phone
        assert session.exec(select(AuditEntry)).all() == []

    book = load_workbook(path)
    sheet = book["更正登记"]
    sheet.delete_rows(5, 3)
    sheet.append([agency.credit_code, str(first.id), "移除", "", "已离职"])
    book.save(path)
    code, out, err = cli("agency", "changes", str(path))
    assert (code, err) == (0, "")
    assert "更正完成：共 2 处，涉及机构 1 家" in out
    assert "✗ 咨询人员 5 名以上：咨询人员 4 名" in out
    with Session(db) as session:
        assert session.get(Agency, agency.id).office_phone == "010-65009876"
        assert session.get(Consultant, first.id) is None
