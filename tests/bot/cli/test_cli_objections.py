"""`safecomm results` opens the 公示 period and exports the exit list; `safecomm objection …`
records and decides objections (Art. 15; RULES.md "Publication (公示, Art. 15) and
objections")."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.bot.conftest import Cli
from tests.workflow.assessment_builders import assessed_agency, full_points
from workflow.assessment.models import Publication
from workflow.core.clock import local_date, utcnow
from workflow.core.settings import Settings

YEAR = 2026


def _failed(db: Engine, settings: Settings) -> int:
    points = full_points()
    points["2.4"] = 0
    with Session(db) as session:
        agency = assessed_agency(
            session, settings, points, year=YEAR, guided=(YEAR,), name="北京安和咨询有限公司"
        )
        return agency.id or 0


def test_results_open_the_period_and_export_the_exit_list(
    db: Engine, cli: Cli, settings: Settings, tmp_path: Path
) -> None:
    _failed(db, settings)
    code, out, err = cli("results", str(YEAR), "--out", str(tmp_path / "report"))
    assert code == 0, err
    assert "2026年考核结果公示期：2026年12月31日至2027年1月7日" in out
    assert "取消优先推荐资格名单：1 家" in out
    listed = tmp_path / "report" / "取消优先推荐资格名单-2026.xlsx"
    assert (tmp_path / "report" / "取消优先推荐资格名单-2026.csv").stat().st_size > 0
    sheet = load_workbook(listed).worksheets[0]
    assert sheet.cell(2, 2).value == "北京安和咨询有限公司"
    assert "二级指标 2.4" in str(sheet.cell(2, 7).value)
    # published again: the period stays
    code, out, _ = cli("results", str(YEAR), "--out", str(tmp_path / "report"))
    assert code == 0 and "公示期不变：2026年12月31日至2027年1月7日" in out


def test_objection_add_list_and_decide(db: Engine, cli: Cli, settings: Settings) -> None:
    agency_id = _failed(db, settings)
    code, _, err = cli("objection", "add", str(YEAR), str(agency_id), "--reason", "报告已交")
    assert code == 1 and "2026年考核结果尚未公示" in err
    today = local_date(utcnow(), settings.zone)
    with Session(db) as session:
        session.add(
            Publication(
                year=YEAR,
                starts=today - timedelta(days=1),
                ends=today + timedelta(days=6),
                opened_by="cli:王管理",
            )
        )
        session.commit()
    code, _, err = cli("objection", "add", str(YEAR), str(agency_id))
    assert code == 1 and "请写明理由" in err
    code, out, err = cli(
        "objection", "add", str(YEAR), "北京安和咨询有限公司", "--reason", "报告已交"
    )
    assert code == 0, err
    assert "已登记异议 #1：北京安和咨询有限公司" in out
    code, out, _ = cli("objection", "list", str(YEAR))
    assert code == 0 and "报告已交" in out and "待处理" in out
    code, out, err = cli("objection", "uphold", "1", "--reason", "核实报告确已提交")
    assert code == 0, err
    assert "评分表已重新打开" in out and f"safecomm assess finalise {agency_id} 2026" in out
    code, out, _ = cli("objection", "list", str(YEAR))
    assert "成立" in out and "核实报告确已提交" in out and "cli:王管理" in out
    code, _, err = cli("objection", "dismiss", "1", "--reason", "x")
    assert code == 1 and "异议 #1 已处理（成立）" in err
    code, _, err = cli("exits", "confirm", str(agency_id), str(YEAR))
    assert code == 1  # the reopened sheet is not finalised: nothing to confirm yet
