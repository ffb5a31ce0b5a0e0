"""`safecomm assess / exits / results / campaign`: the admin's whole year at the terminal."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.bot.conftest import Cli
from tests.workflow.assessment_builders import (
    after_questionnaire,
    filed_agency,
    full_points,
    new_agency,
)
from workflow.assessment import exits as exit_rules
from workflow.assessment import finalising
from workflow.assessment.sheets import sheet_view
from workflow.assessment.standard import STANDARD
from workflow.assessment.xlsx import COL
from workflow.community.models import CreationUnit, Guidance
from workflow.core.errors import Conflict
from workflow.core.settings import Settings, get_settings
from workflow.lifecycle.audit import history
from workflow.registry.models import Agency

YEAR = "2026"
_JUDGED = ("--content", "--evidence")
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _questionnaire_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """These commands run after the 2026 questionnaire closed, unless a test says otherwise
    (finalising is refused while it is open)."""
    monkeypatch.setattr(finalising, "utcnow", lambda: after_questionnaire(2026))


def _enter_materials(cli: Cli, agency_id: int) -> None:
    for code, points in full_points().items():
        if code not in STANDARD.questionnaire_codes:
            judged = ("--content", "--evidence", "--effect", "较好")
            entered = cli(
                "assess", "enter", str(agency_id), YEAR, code, "--points", str(points), *judged
            )
            assert entered[0] == 0, entered[2]


def test_the_assessment_year_from_entry_to_exit(
    db: Engine, cli: Cli, settings: Settings, tmp_path: Path
) -> None:
    with Session(db) as session:
        agency = filed_agency(session, settings)
        unit = CreationUnit(name="幸福里社区", district="东城区", safe_community=True)
        session.add(unit)
        session.flush()
        session.add(Guidance(unit_id=unit.id or 0, agency_id=agency.id or 0, year=2026))
        session.flush()
        session.expunge(agency)
        session.commit()
    agency_id = agency.id or 0
    _enter_materials(cli, agency_id)
    # Art. 13: a bonus case is recorded per creation unit and title, with its evidence
    code, out, err = cli(
        "assess",
        "bonus",
        "add",
        agency.name,
        YEAR,
        "B1",
        "--unit",
        "幸福里社区",
        "--title",
        "市级安全社区",
        "--evidence",
        "北京市安全社区命名文件",
    )
    assert code == 0 and "已登记加分项 B1" in out and "幸福里社区“北京市安全社区”" in out, err

    code, _, err = cli("assess", "finalise", str(agency_id), YEAR)
    assert code == 1
    assert (
        err.strip()
        == "错误：创建单位评价（问卷）部分为空：请先由问卷结果填入，或由管理员明确录入。"
    )

    code, out, _ = cli("assess", "section", str(agency_id), YEAR, "4", "4", "4", "4", "4")
    # Art. 12 "满分为100分": 100 + 1 counts as 100
    assert code == 0 and "基本分 100 分，加分 1 分，总分 100 分" in out and "优秀" in out
    assert "考核通过" in out and "总分按满分 100 分计" in out

    code, out, _ = cli("assess", "show", str(agency_id), YEAR)
    assert code == 0 and "草稿" in out and "管理员录入（王管理）" in out
    assert "北京市安全社区" in out and "北京市安全社区命名文件" in out
    code, out, _ = cli("assess", "bonus", "list", str(agency_id), YEAR)
    assert code == 0 and "幸福里社区" in out and "北京市安全社区命名文件" in out

    code, out, err = cli("assess", "finalise", str(agency_id), YEAR)
    assert code == 0, err
    with Session(db) as session:
        assert session.get(Agency, agency_id).status == "assessed"  # type: ignore[union-attr]

    code, _, err = cli(
        "assess", "enter", str(agency_id), YEAR, "1.1", "--points", "4", "--content", "--evidence"
    )
    assert code == 1 and "已定稿，不能再修改" in err

    code, out, _ = cli("exits", "propose", YEAR)
    assert code == 0 and "保留优先推荐资格" in out and "待确认" in out
    code, out, _ = cli("exits", "confirm", "all", YEAR)
    assert code == 0 and "共确认 1 项" in out
    with Session(db) as session:
        assert session.get(Agency, agency_id).status == "retained"  # type: ignore[union-attr]
        last = history(session, agency_id)[-1]
        assert (last.trigger, last.actor) == ("retain", "cli:王管理")

    code, out, _ = cli("results", YEAR, "--out", str(tmp_path / "report"))
    assert code == 0 and agency.name in out
    for suffix in ("xlsx", "csv", "png"):
        assert (tmp_path / "report" / f"results-{YEAR}.{suffix}").stat().st_size > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("1.1", "--points", "3.5", *_JUDGED), "指标 1.1 的得分必须是整数"),
        (("1.1", "--points", "6", *_JUDGED), "指标 1.1 的得分 6 超出范围，应为 0–5 分"),
        (("1.1", "--points=-1", *_JUDGED), "超出范围"),
        (("1.1", *_JUDGED), "指标 1.1 需要填写得分"),
        (("7.1", "--points", "1", *_JUDGED), "未知的指标编号 7.1"),
        (("B5", "--count", "1"), "未知的加分项编号 B5"),
        (("B1",), "加分项 B1 需要填写数量"),
        (("B1", "--count", "1"), "加分项 B1 需要填写佐证说明"),
        (("B1", "--count", "1", "--description", "x"), "须按创建单位逐项登记"),
        (("3.2", "--points", "3"), "assess section"),
        (("1.2", "--no-content", "--no-evidence", "--points", "4"), "只能为 0"),
        (("1.1", "--points=--3", *_JUDGED), "指标 1.1 的得分必须是整数"),
        (("B1", "--count", "²", "--description", "x"), "加分项 B1 的数量必须是不小于 0 的整数"),
        # 评分说明二: content and evidence are recorded explicitly, no default
        (("1.1", "--points", "4"), "请用 --content（有此项内容）或 --no-content（无此项内容）"),
        (
            ("1.1", "--points", "4", "--content"),
            "请用 --evidence（有证据）或 --no-evidence（无证据）",
        ),
        (("2.4", "--no-content"), "--no-evidence"),
        # decision (policy): no evidence → at most half the maximum, rounded down
        (("1.2", "--points", "4", "--content", "--no-evidence"), "最多得 3 分（满分 7 分的 50%"),
    ],
)
def test_bad_entries_are_refused_and_nothing_saved(
    db: Engine, cli: Cli, session: Session, args: tuple[str, ...], message: str
) -> None:
    agency = new_agency(session)
    code, out, err = cli("assess", "enter", str(agency.id), YEAR, *args)
    assert code == 1 and message in err and out == ""
    code, _, err = cli("assess", "show", str(agency.id), YEAR)
    assert code == 1 and "没有 2026年度的考核评分表" in err


def test_export_fill_import(db: Engine, cli: Cli, session: Session, tmp_path: Path) -> None:
    agency = new_agency(session)
    path = tmp_path / "sheet.xlsx"
    assert cli("assess", "export", str(agency.id), YEAR, "--out", str(path))[0] == 0
    book = load_workbook(path)
    ws = book.worksheets[0]
    points = full_points()
    for row in range(1, ws.max_row + 1):
        code = ws.cell(row, COL["code"]).value
        if code in points:
            ws.cell(row, COL["points"], points[code])
            if code not in STANDARD.questionnaire_codes:
                ws.cell(row, COL["content"], "有")
                ws.cell(row, COL["evidence"], "有")
    book.save(path)
    code, out, err = cli("assess", "import", str(path))
    assert code == 0, err
    assert "总分 100" in out
    assert sheet_view(session, agency.id or 0, 2026).sheet.questionnaire_source == "admin"

    ws.cell(5, COL["points"], 99)
    book.save(path)
    code, _, err = cli("assess", "import", str(path))
    assert code == 1 and "I5 格：指标 1.2 的得分 99 超出范围" in err


def test_section_needs_five_whole_points(db: Engine, cli: Cli, session: Session) -> None:
    agency = new_agency(session)
    code, _, err = cli("assess", "section", str(agency.id), YEAR, "4", "4", "4")
    assert code == 1 and "需要 5 个得分" in err
    code, _, err = cli("assess", "section", str(agency.id), YEAR, "4", "4", "4", "4", "x")
    assert code == 1 and "3.5" in err


def test_finalising_waits_for_the_questionnaire_unless_forced_with_a_reason(
    db: Engine, cli: Cli, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RULES, questionnaire: "An assessment is not finalised while its questionnaire is
    still open, unless an admin forces it with a reason" (a later answer would be left out)."""
    with Session(db) as session:
        agency = filed_agency(session, settings)
    agency_id = str(agency.id)
    _enter_materials(cli, agency.id or 0)
    assert cli("assess", "section", agency_id, YEAR, "4", "4", "4", "4", "4")[0] == 0
    # 18 December in Beijing: the questionnaire closes on 20 December
    before = datetime(2026, 12, 18, 10, 0, tzinfo=BEIJING)
    monkeypatch.setattr(finalising, "utcnow", lambda: before)

    code, _, err = cli("assess", "finalise", agency_id, YEAR)
    assert code == 1
    assert "2026年满意度调查（问卷）2026-12-20 截止" in err and "暂不能定稿" in err
    code, _, err = cli("assess", "finalise", agency_id, YEAR, "--force-reason", "  ")
    assert code == 1 and "强制定稿须写明理由" in err
    with Session(db) as session:
        assert session.get(Agency, agency.id).status == "filed"  # type: ignore[union-attr]
        assert sheet_view(session, agency.id or 0, 2026).sheet.finalised_at is None

    reason = "全部创建单位均已提交，市局要求提前报送"
    code, out, err = cli("assess", "finalise", agency_id, YEAR, "--force-reason", reason)
    assert code == 0, err
    assert f"理由已记入审计日志：满意度调查（问卷）2026-12-20 截止前强制定稿，理由：{reason}" in out
    with Session(db) as session:
        assert session.get(Agency, agency.id).status == "assessed"  # type: ignore[union-attr]
        entry = history(session, agency.id or 0)[-1]
        assert entry.trigger == "assess" and entry.actor == "cli:王管理"
        assert entry.reason == f"满意度调查（问卷）2026-12-20 截止前强制定稿，理由：{reason}"


def test_finalising_after_the_close_needs_no_reason(
    db: Engine, cli: Cli, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The end of the deadline day in Beijing (Art. 15): 21 December 00:00 is past it."""
    with Session(db) as session:
        agency = filed_agency(session, settings)
    _enter_materials(cli, agency.id or 0)
    assert cli("assess", "section", str(agency.id), YEAR, "4", "4", "4", "4", "4")[0] == 0
    last_minute = datetime(2026, 12, 20, 23, 59, tzinfo=BEIJING)
    monkeypatch.setattr(finalising, "utcnow", lambda: last_minute)
    assert cli("assess", "finalise", str(agency.id), YEAR)[0] == 1
    monkeypatch.setattr(finalising, "utcnow", lambda: datetime(2026, 12, 21, tzinfo=BEIJING))
    code, out, err = cli("assess", "finalise", str(agency.id), YEAR)
    assert code == 0, err
    assert "强制" not in out


def test_campaign_show_and_set(db: Engine, cli: Cli) -> None:
    code, out, _ = cli("campaign", "show", YEAR)
    assert code == 0 and "2026-12-15" in out and "Asia/Shanghai" in out
    code, out, _ = cli("campaign", "set", YEAR, "--report-due", "2026-12-18")
    assert code == 0 and "2026-12-18 23:59" in out
    code, _, err = cli("campaign", "set", YEAR, "--report-due", "2026-12-25")
    assert code == 1 and "顺序有误" in err
    code, _, err = cli("campaign", "set", YEAR, "--opens", "12/01")
    assert code == 1 and "YYYY-MM-DD" in err


def test_a_notice_may_move_the_dates_into_the_next_year_up_to_31_march(
    db: Engine, cli: Cli
) -> None:
    """RULES, annual assessment: "A year's notice may move any date up to the end of March
    of the next year", keeping opens ≤ report due ≤ questionnaire closes ≤ results."""
    code, out, err = cli(
        "campaign",
        "set",
        YEAR,
        "--report-due",
        "2027-01-15",
        "--questionnaire-closes",
        "2027-01-20",
        "--results-published",
        "2027-03-31",
    )
    assert code == 0, err
    assert "2027-01-15 23:59" in out and "2027-03-31 23:59" in out
    code, _, err = cli("campaign", "set", YEAR, "--results-published", "2027-04-01")
    assert code == 1
    assert "2026年考核活动的日期应在 2026-01-01 至 2027-03-31 之间" in err
    code, _, err = cli("campaign", "set", YEAR, "--opens", "2025-12-31")
    assert code == 1 and "2026-01-01 至 2027-03-31" in err
    code, _, err = cli("campaign", "set", YEAR, "--questionnaire-closes", "2027-01-10")
    assert code == 1 and "顺序有误" in err  # before the report due on 15 January
    code, out, _ = cli("campaign", "show", YEAR)
    assert "2027-01-15" in out and "2027-04-01" not in out


def _finalised(db: Engine, cli: Cli, settings: Settings) -> Agency:
    with Session(db) as session:
        agency = filed_agency(session, settings)
    _enter_materials(cli, agency.id or 0)
    assert cli("assess", "section", str(agency.id), YEAR, "4", "4", "4", "4", "4")[0] == 0
    assert cli("assess", "finalise", str(agency.id), YEAR)[0] == 0
    return agency


def test_a_finalised_sheet_refuses_every_edit(
    db: Engine, cli: Cli, settings: Settings, tmp_path: Path
) -> None:
    agency = _finalised(db, cli, settings)
    path = tmp_path / "sheet.xlsx"
    assert cli("assess", "export", str(agency.id), YEAR, "--out", str(path))[0] == 0
    for args in (
        ("assess", "enter", str(agency.id), YEAR, "2.1", "--points", "1", *_JUDGED),
        ("assess", "enter", str(agency.id), YEAR, "B2", "--count", "1", "--description", "x"),
        ("assess", "section", str(agency.id), YEAR, "1", "1", "1", "1", "1"),
        ("assess", "import", str(path)),
    ):
        code, _, err = cli(*args)
        assert code == 1 and "已定稿，不能再修改" in err, args
    with Session(db) as session:
        view = sheet_view(session, agency.id or 0, 2026)
    assert view.points == full_points() and view.bonus == {}


def test_import_checks_every_file_before_saving_any(
    db: Engine, cli: Cli, session: Session, tmp_path: Path
) -> None:
    good, bad = new_agency(session), new_agency(session)
    paths = []
    for agency, first in ((good, 5), (bad, 99)):
        path = tmp_path / f"sheet-{agency.id}.xlsx"
        assert cli("assess", "export", str(agency.id), YEAR, "--out", str(path))[0] == 0
        points = {**full_points(), "1.1": first}
        book = load_workbook(path)
        ws = book.worksheets[0]
        for row in range(1, ws.max_row + 1):
            if (code := ws.cell(row, COL["code"]).value) in points:
                ws.cell(row, COL["points"], points[code])
                if code not in STANDARD.questionnaire_codes:
                    ws.cell(row, COL["content"], "有")
                    ws.cell(row, COL["evidence"], "有")
        book.save(path)
        paths.append(str(path))
    code, out, err = cli("assess", "import", *paths, str(tmp_path / "missing.xlsx"))
    assert code == 1 and out == ""
    assert err.startswith("错误：未导入任何文件：")
    assert f"sheet-{good.id}.xlsx" not in err
    assert f"sheet-{bad.id}.xlsx：表格有误" in err and "指标 1.1 的得分 99 超出范围" in err
    assert "missing.xlsx：找不到文件" in err
    code, _, err = cli("assess", "show", str(good.id), YEAR)
    assert code == 1 and "没有 2026年度的考核评分表" in err


def test_a_file_that_cannot_be_written_is_one_clear_refusal(
    db: Engine, cli: Cli, session: Session, tmp_path: Path
) -> None:
    agency = new_agency(session)
    target = tmp_path / "no-such-folder" / "sheet.xlsx"
    code, out, err = cli("assess", "export", str(agency.id), YEAR, "--out", str(target))
    assert code == 1 and out == "" and err.startswith(f"错误：无法写入 {target}")


def test_confirming_exits_is_all_or_nothing(
    db: Engine, cli: Cli, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _finalised(db, cli, settings), _finalised(db, cli, settings)
    fired: list[int] = []

    def fire_then_fail(session: Session, agency_id: int, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if fired:
            raise Conflict("lifecycle.changed_meanwhile", agency=agency_id)
        fired.append(agency_id)
        return real_fire(session, agency_id, *args, **kwargs)

    real_fire = exit_rules.advance
    monkeypatch.setattr(exit_rules, "advance", fire_then_fail)
    code, _, err = cli("exits", "confirm", "all", YEAR)
    assert code == 1 and "刚被他人改变" in err and len(fired) == 1
    with Session(db) as session:
        statuses = {session.get(Agency, a.id).status for a in (first, second)}  # type: ignore[union-attr]
    assert statuses == {"assessed"}


def test_exits_propose_names_an_idle_filed_agency(db: Engine, cli: Cli, settings: Settings) -> None:
    """Art. 14(2): an agency filed in 2024 with no guidance record in 2025 nor 2026 has no
    score sheet, and is proposed for withdrawal all the same."""
    from datetime import UTC, datetime

    with Session(db) as session:
        agency = filed_agency(session, settings, at=datetime(2024, 5, 1, tzinfo=UTC))
    code, out, _ = cli("exits", "propose", YEAR)
    assert code == 0
    [row] = [line for line in out.splitlines() if line.startswith(agency.name)]
    assert row.split() == [
        agency.name,
        "未考核",
        "未考核",
        "取消优先推荐资格",
        "2025年、2026年连续两年未开展指导工作",
        "待确认",
    ]
    code, out, _ = cli("exits", "confirm", "all", YEAR)
    assert code == 0 and "共确认 1 项" in out
    with Session(db) as session:
        assert session.get(Agency, agency.id).status == "withdrawn"  # type: ignore[union-attr]
        last = history(session, agency.id or 0)[-1]
        assert (last.source, last.ground) == ("filed", "inactive_two_years")


def test_confirming_a_withdrawal_writes_the_register_again(
    db: Engine, cli: Cli, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Art. 6 "向社会公布" and Art. 14(2): `exits confirm` takes the idle agency off the
    register, and the register in SAFECOMM_REGISTER_DIR is written again without it."""
    import csv
    from datetime import UTC, datetime

    with Session(db, expire_on_commit=False) as session:
        idle = filed_agency(session, settings, at=datetime(2024, 5, 1, tzinfo=UTC))
        active = filed_agency(session, settings)
    folder = tmp_path / "名录"
    monkeypatch.setenv("SAFECOMM_REGISTER_DIR", str(folder))
    get_settings.cache_clear()
    code, out, err = cli("exits", "confirm", idle.name, YEAR)
    assert (code, err) == (0, ""), err
    assert "备案机构名录已更新" in out
    [published] = folder.glob("备案机构名录-*.csv")
    with published.open(encoding="utf-8-sig", newline="") as handle:
        names = [row[1] for row in list(csv.reader(handle))[1:]]
    assert names == [active.name]


@pytest.mark.parametrize(
    "argv", [["exits", "--help"], ["exits", "propose", "--help"], ["exits", "confirm", "--help"]]
)
def test_exit_commands_help_names_the_priority_recommendation_status(
    argv: list[str], cli: Cli
) -> None:
    """Art. 14 takes away the priority-recommendation status: 保留/取消优先推荐资格."""
    code, out, _ = cli(*argv)
    assert code == 0
    help_text = re.sub(r"[\s│]+", "", out)
    assert "优先推荐资格" in help_text
    assert "取消资格" not in help_text and "保留资格" not in help_text
