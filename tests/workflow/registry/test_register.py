"""The current register (备案机构名录), Art. 6: "文促会……对符合条件的咨询服务机构予以备案，
并向社会公布" — every agency holding the status now, with the contacts a creation unit needs
to choose one, written again after every change to it.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.builders import committed
from tests.lists import table
from tests.workflow.lifecycle_steps import (
    ADMIN,
    agency_in,
    make_agency,
    prepare,
    pretend_finalised,
)
from workflow.core.db import transaction
from workflow.core.settings import Settings
from workflow.lifecycle import engine as lifecycle
from workflow.lifecycle.audit import appended
from workflow.registry import register
from workflow.registry.models import Agency

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
HEADERS = [
    "序号",
    "机构名称",
    "统一社会信用代码",
    "地址",
    "邮政编码",
    "办公电话",
    "负责人",
    "负责人办公电话",
    "负责人手机（部分隐藏）",
    "状态",
    "备案日期",
]


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _xlsx(path: Path) -> list[list[object]]:
    sheet = load_workbook(path).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _on(settings: Settings, directory: Path) -> Settings:
    return settings.model_copy(update={"register_dir": str(directory)})


def _move(
    engine: Engine, settings: Settings, agency_id: int, trigger: str, **options: object
) -> register.Refreshed | None:
    """One way in: fire `trigger` in its own unit of work, then keep the register."""
    with transaction(engine) as session:
        lifecycle.advance(session, agency_id, trigger, ADMIN, settings=settings, **options)
        moves = appended(session)
    return register.after_commit(engine, moves, settings, now=NOW)


def _names(path: Path) -> list[str]:
    return [str(row[1]) for row in table(path)[1:]]


def test_the_register_lists_every_agency_holding_the_status_with_its_contacts(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    """Art. 6 "予以备案，并向社会公布": filed, assessed and retained agencies are on it,
    with name, address, office phone, principal and mobile (masked), state, filing date;
    agencies still applying, rejected or withdrawn are not."""
    filed = agency_in(
        session, "filed", settings, name="甲咨询公司", principal_office_phone="010-65009876"
    )
    for state in ("assessed", "retained", "applied", "withdrawn", "rejected"):
        agency = make_agency(session, name=f"{state}咨询公司")
        committed(lifecycle.seed_status)(
            session, agency.id or 0, state, ADMIN, "此前备案", settings=settings
        )
    agency_in(session, "reviewed", settings, name="在审咨询公司")

    listed = register.current_register(session, settings)
    assert [item.name for item in listed] == [
        "甲咨询公司",  # filed in this software: in filing order, first
        "assessed咨询公司",  # imported straight into a later state: no filing date
        "retained咨询公司",
    ]
    written = register.write_register(listed, tmp_path, date(2026, 12, 2))
    assert [p.name for p in written] == [
        "备案机构名录-2026-12-02.xlsx",
        "备案机构名录-2026-12-02.csv",
    ]
    rows = _csv(written[1])
    assert rows[0] == HEADERS
    today = datetime.now(settings.zone).date().isoformat()
    assert rows[1] == [
        "1",
        "甲咨询公司",
        filed.credit_code,
        "北京市朝阳区建国路1号",
        "100020",
        "010-65001234",
        "李负责",
        "010-65009876",
        "138****5678",
        "已备案",
        today,
    ]
    assert [row[9:] for row in rows[2:]] == [["已考核", ""], ["保留优先推荐资格", ""]]
    sheet = _xlsx(written[0])
    assert [str(cell) for cell in sheet[0]] == HEADERS
    assert sheet[1][1:4] == ["甲咨询公司", filed.credit_code, "北京市朝阳区建国路1号"]
    assert len(sheet) == 4


def test_the_principals_mobile_is_masked_and_office_phones_are_shown(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    """RULES.md: phone numbers are personal information, shown masked — a natural
    person's mobile is; the agency's office lines are its published contacts."""
    agency_in(
        session,
        "filed",
        settings,
        principal_mobile="13912345678",
        office_phone="010-88886666",
        principal_office_phone="010-88887777",
    )
    written = register.write_current(session, settings, tmp_path, NOW)
    for path in written:
        content = (
            path.read_text(encoding="utf-8-sig") if path.suffix == ".csv" else repr(_xlsx(path))
        )
        assert "13912345678" not in content
        assert "139****5678" in content
        assert "010-88886666" in content and "010-88887777" in content


def test_the_register_in_english_has_english_headers_and_file_names(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    agency_in(session, "filed", settings)
    english = settings.model_copy(update={"language": "en"})
    written = register.write_current(session, english, tmp_path, NOW)
    assert [p.name for p in written] == ["register-2026-12-02.xlsx", "register-2026-12-02.csv"]
    assert _csv(written[1])[0][:3] == ["No.", "Agency", "Unified social credit code"]
    assert _csv(written[1])[1][9] == "filed"


def test_filing_and_withdrawing_write_the_register_again(
    engine: Engine, session: Session, settings: Settings, tmp_path: Path
) -> None:
    """Art. 6 "向社会公布" the current register: after the commit of `file` the agency is
    on it; after `withdraw` (Art. 14) it is not."""
    folder = tmp_path / "名录"
    on = _on(settings, folder)
    agency = agency_in(session, "interviewed", settings, name="甲咨询公司")
    prepare(session, agency.id or 0, "file", settings)
    done = _move(engine, on, agency.id or 0, "file")
    assert done is not None and done.error is None
    target = folder / "备案机构名录-2026-12-02.csv"
    assert done.paths == [folder / "备案机构名录-2026-12-02.xlsx", target]
    assert _names(target) == ["甲咨询公司"]
    assert done.message().startswith("备案机构名录已更新：")

    done = _move(
        engine, on, agency.id or 0, "withdraw", reason="专职人员全部离职", ground="staff_change"
    )
    assert done is not None
    assert _names(target) == []  # the headers stay: an empty register, not a stale one
    assert _csv(target)[0] == HEADERS
    assert sorted(p.name for p in folder.iterdir()) == [  # no temporary file left behind
        "备案机构名录-2026-12-02.csv",
        "备案机构名录-2026-12-02.xlsx",
    ]


def test_moves_that_do_not_cross_the_register_leave_it_alone(
    engine: Engine,
    session: Session,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Moves before filing (review, interview, reject) and inside the register (assess,
    retain) change nobody's place on it: the files are not written."""
    folder = tmp_path / "名录"
    on = _on(settings, folder)
    applicant = make_agency(session)
    prepare(session, applicant.id or 0, "review", settings)
    assert _move(engine, on, applicant.id or 0, "review") is None
    assert _move(engine, on, applicant.id or 0, "reject", reason="面试答辩不通过") is None
    pretend_finalised(monkeypatch)
    holder = agency_in(session, "filed", settings)
    assert _move(engine, on, holder.id or 0, "assess", year=2026) is None
    assert _move(engine, on, holder.id or 0, "retain", year=2026) is None
    assert not folder.exists()
    with Session(engine) as check:
        row = check.get(Agency, holder.id)
        assert row is not None and row.status == "retained"


def test_without_the_setting_nothing_is_written(
    engine: Engine, session: Session, settings: Settings, tmp_path: Path
) -> None:
    """`SAFECOMM_REGISTER_DIR` empty (the default): the register is written on demand only."""
    assert settings.register_dir == ""
    agency = agency_in(session, "interviewed", settings)
    prepare(session, agency.id or 0, "file", settings)
    assert _move(engine, settings, agency.id or 0, "file") is None
    assert list(tmp_path.glob("备案机构名录-*")) == []


def test_a_register_that_cannot_be_written_is_reported_and_the_move_stays(
    engine: Engine, session: Session, settings: Settings, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    agency = agency_in(session, "interviewed", settings)
    prepare(session, agency.id or 0, "file", settings)
    done = _move(engine, _on(settings, blocker), agency.id or 0, "file")
    assert done is not None and done.error is not None and done.paths == []
    assert done.message().startswith("备案机构名录未能更新（")
    assert "safecomm register --out" in done.message()
    with Session(engine) as check:
        row = check.get(Agency, agency.id)
        assert row is not None and row.status == "filed"


def test_a_crossing_is_read_from_the_audit_entries(session: Session, settings: Settings) -> None:
    agency = agency_in(session, "filed", settings)
    entries = appended(session)
    assert [e.trigger for e in entries][-1] == "file"
    assert register.crosses(entries)
    assert not register.crosses([e for e in entries if e.trigger != "file"])
    assert agency.status == "filed"
