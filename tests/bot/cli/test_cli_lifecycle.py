"""`safecomm advance / actions / history / audit / role / round / diagram` as an admin uses them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.bot.conftest import Cli
from tests.lists import table
from tests.workflow.lifecycle_steps import make_agency, snapshot
from workflow.core.settings import get_settings
from workflow.lifecycle import machine as lifecycle
from workflow.registry.models import Agency

DOCS = Path(__file__).resolve().parents[3] / "docs" / "lifecycle.md"


def _agency(engine: Engine, **overrides: object) -> Agency:
    with Session(engine, expire_on_commit=False) as session:
        return make_agency(session, **overrides)


def _status(engine: Engine, agency_id: int | None) -> str:
    with Session(engine) as session:
        row = session.get(Agency, agency_id)
        assert row is not None
        return row.status


def test_diagram_is_the_one_in_the_docs(cli: Cli) -> None:
    code, out, _ = cli("diagram")
    assert code == 0
    assert out == lifecycle.mermaid()
    documented = re.search(r"```mermaid\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert documented is not None
    assert documented.group(1) == out


def test_a_round_from_scores_to_publication(db: Engine, cli: Cli, tmp_path: Path) -> None:
    first, second = _agency(db, name="甲咨询公司"), _agency(db, name="乙咨询公司")
    assert cli("round", "create", "2026 第一批", "--quota", "1")[0] == 0
    for agency, material, interview in ((first, "80", "90"), (second, "70", "60")):
        ref = agency.credit_code
        assert cli("round", "join", "2026 第一批", ref)[0] == 0
        code, out, err = cli("round", "score", ref, "--material", material)
        assert code == 0, err
        code, out, err = cli("advance", ref, "review")
        assert (code, err) == (0, "")
        assert "已申请 → 材料审核通过（材料审核通过）" in out
        cli("round", "score", ref, "--interview", interview)
        assert cli("advance", ref, "interview")[0] == 0

    code, out, _ = cli("round", "ranking", "2026 第一批")
    assert code == 0
    lines = out.splitlines()
    assert "名额 1" in lines[0]
    assert lines[3].split()[:2] == ["1", "甲咨询公司"] and "85.00" in lines[3]
    assert lines[4].split()[:2] == ["2", "乙咨询公司"] and lines[4].split()[-1] == "否"

    code, _, err = cli("round", "publish", "2026 第一批", "--out", str(tmp_path / "x"))
    assert code == 1 and "尚未结束" in err
    blocked = tmp_path / "只读"
    blocked.write_text("不是目录")  # an --out that cannot be a folder: nothing is closed
    code, _, err = cli("round", "close", "2026 第一批", "--out", str(blocked / "公告"))
    assert code == 1 and err.count("\n") == 1
    assert (_status(db, first.id), _status(db, second.id)) == ("interviewed", "interviewed")

    code, out, err = cli("round", "close", "2026 第一批", "--out", str(tmp_path))
    assert (code, err) == (0, "")
    assert "备案 1 家；因总量控制未列入本批次备案名单 1 家；未达通过线不予通过 0 家" in out
    assert (tmp_path / "2026_第一批-备案名单.csv").exists()
    assert (tmp_path / "2026_第一批-备案名单.xlsx").exists()
    assert (_status(db, first.id), _status(db, second.id)) == ("filed", "rejected")
    again = tmp_path / "补发"
    code, out, err = cli("round", "publish", "2026 第一批", "--out", str(again))
    assert (code, err) == (0, "")
    assert (again / "2026_第一批-备案名单.csv").read_bytes() == (
        tmp_path / "2026_第一批-备案名单.csv"
    ).read_bytes()

    code, out, _ = cli("history", str(second.id))
    assert code == 0
    assert "已通过面试答辩 → 未通过" in out and "因总量控制未列入本批次备案名单" in out
    assert "王管理" in out
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", out)


def test_a_round_with_dates_received_and_the_interview_list(
    db: Engine, cli: Cli, tmp_path: Path
) -> None:
    """Art. 10(1): the date each written application arrived is entered with it; once
    material review is done the list invited to interview is published; Art. 10(2): an
    interview below the pass mark is flagged when scored and rejected at the close."""
    today = datetime.now(get_settings().zone).date()
    opened, early, late = (today - timedelta(days=n) for n in (20, 15, 5))
    first, second = _agency(db, name="甲咨询公司"), _agency(db, name="乙咨询公司")
    code, _, err = cli("round", "create", "2026 第二批", "--opens", opened.isoformat())
    assert (code, err) == (0, "")
    code, _, err = cli(
        "round",
        "join",
        "2026 第二批",
        first.credit_code,
        "--received",
        (opened - timedelta(1)).isoformat(),
    )
    assert code == 1 and "早于申请批次“2026 第二批”的开始日期" in err
    code, out, _ = cli(
        "round", "join", "2026 第二批", first.credit_code, "--received", late.isoformat()
    )
    assert code == 0 and f"收件日期 {late.isoformat()}" in out
    code, out, _ = cli(
        "round",
        "join",
        "2026 第二批",
        second.credit_code,
        "--received",
        f"{early.year}年{early.month}月{early.day}日",
    )
    assert code == 0 and f"收件日期 {early.isoformat()}" in out

    code, _, err = cli("round", "interview-list", "2026 第二批", "--out", str(tmp_path))
    assert code == 1 and "尚未完成材料审核" in err and "甲咨询公司" in err
    for agency in (first, second):
        cli("round", "score", agency.credit_code, "--material", "80")
        assert cli("advance", agency.credit_code, "review")[0] == 0
    code, out, err = cli("round", "interview-list", "2026 第二批", "--out", str(tmp_path))
    assert (code, err) == (0, "")
    assert "已公布批次“2026 第二批”面试答辩名单，共 2 家" in out
    rows = table(tmp_path / "2026_第二批-面试答辩名单.csv")
    assert [row[1:] for row in rows[1:]] == [
        ["乙咨询公司", second.credit_code, early.isoformat()],
        ["甲咨询公司", first.credit_code, late.isoformat()],
    ]
    assert (tmp_path / "2026_第二批-面试答辩名单.xlsx").stat().st_size > 0

    code, out, _ = cli("round", "score", first.credit_code, "--interview", "55")
    assert code == 0
    why = "面试答辩得分 55 分，低于通过线 60 分，面试答辩不通过"
    assert f"“甲咨询公司”{why}，不能办理“面试答辩通过”；请办理“不予通过”" in out
    cli("round", "score", second.credit_code, "--interview", "70")
    # Art. 10(2): a failed interview cannot be passed directly; the panel rejects it
    code, _, err = cli("advance", first.credit_code, "interview")
    assert (code, err.strip()) == (1, f"错误：不能执行“面试答辩通过”：{why}。")
    assert cli("advance", first.credit_code, "reject", "--reason", why)[0] == 0
    assert cli("advance", second.credit_code, "interview")[0] == 0
    code, out, _ = cli("round", "ranking", "2026 第二批")
    assert "面试答辩通过线 60 分" in out and "按批次控制" in out
    row = next(line for line in out.splitlines() if "乙咨询公司" in line)
    assert row.split()[-1] == "是" and early.isoformat() in row
    assert "甲咨询公司" not in out  # rejected: its application is closed
    code, out, err = cli("round", "close", "2026 第二批", "--out", str(tmp_path))
    assert (code, err) == (0, "")
    assert "备案 1 家；因总量控制未列入本批次备案名单 0 家；未达通过线不予通过 0 家" in out
    assert (_status(db, first.id), _status(db, second.id)) == ("rejected", "filed")


def test_actions_say_why_not(db: Engine, cli: Cli) -> None:
    agency = _agency(db, materials_complete=False)
    code, out, _ = cli("actions", str(agency.id))
    assert code == 0
    assert "当前状态：已申请" in out
    review = next(line for line in out.splitlines() if line.startswith("材料审核通过"))
    assert "否" in review and "缺少" in review and "尚未录入材料审核评分" in review
    reject = next(line for line in out.splitlines() if line.startswith("不予通过"))
    assert "是" in reject and "--reason" in reject


@pytest.mark.parametrize(
    "args,message",
    [
        (["advance", "999", "review"], "没有找到机构“999”"),
        (["advance", "{id}", "promote"], "未知操作“promote”"),
        (["advance", "{id}", "file"], "操作“备案”不能在“已申请”状态下执行"),
        (["advance", "{id}", "reject"], "必须填写原因"),
        (["advance", "{id}", "review"], "不能执行“材料审核通过”：尚未录入材料审核评分"),
        (
            ["advance", "{id}", "reject", "--reason", "x", "--ground", "staff_change"],
            "只用于取消优先推荐资格",
        ),
        (["round", "score", "{id}", "--material", "120"], "0 到 100"),
        (["round", "close", "没有这批"], "找不到申请批次"),
        (["round", "join", "没有这批", "{id}", "--received", "昨天"], "收件日期“昨天”无法识别"),
        (["round", "create", "第一批", "--opens", "3月1日"], "批次开始日期“3月1日”无法识别"),
        (["round", "create", "第一批", "--opens", "2999-01-01"], "不能填写将来的日期"),
        (["round", "interview-list", "没有这批"], "找不到申请批次"),
        (["role", "grant", "tg:5", "boss"], "未知角色"),
        (["role", "revoke", "tg:5"], "没有被授予的角色"),
    ],
)
def test_every_refusal_is_one_line_and_changes_nothing(
    args: list[str], message: str, db: Engine, cli: Cli
) -> None:
    agency = _agency(db)
    with Session(db) as session:
        before = snapshot(session)
    code, out, err = cli(*[a.replace("{id}", str(agency.id)) for a in args])
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("错误：") and message in err
    with Session(db) as session:
        assert snapshot(session) == before


def test_roles_from_the_command_line(db: Engine, cli: Cli) -> None:
    code, out, _ = cli("role", "grant", "2001", "expert")
    assert code == 0 and out == "已授予 tg:2001 “专家”角色（审计日志第 1 条）。\n"
    code, out, _ = cli("role", "grant", "2002", "管理员")
    assert code == 0 and out == "已授予 tg:2002 “管理员”角色（审计日志第 2 条）。\n"
    code, out, _ = cli("role", "list")
    assert re.search(r"tg:2001\s+专家", out) and re.search(r"tg:2002\s+管理员", out)
    assert "tg:2001" in out and "cli:王管理" in out and "按管理员身份操作" in out
    code, out, _ = cli("role", "revoke", "tg:2001")
    assert code == 0 and "已撤销" in out


def test_audit_verify_names_the_broken_entry(db: Engine, cli: Cli) -> None:
    agency = _agency(db)
    cli("advance", str(agency.id), "reject", "--reason", "材料不全")
    cli("role", "grant", "2001", "expert")
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "审计日志完整：共 2 条" in out
    with db.begin() as connection:
        connection.execute(text("UPDATE auditentry SET reason = '材料齐全' WHERE seq = 1"))
    code, out, err = cli("audit", "verify")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "第 1 条" in err and "被篡改" in err


def test_audit_verify_finds_a_status_changed_in_sql(db: Engine, cli: Cli) -> None:
    agency = _agency(db)
    cli("advance", str(agency.id), "reject", "--reason", "材料不全")
    with db.begin() as connection:
        connection.execute(text(f"UPDATE agency SET status = 'filed' WHERE id = {agency.id}"))
    code, out, err = cli("audit", "verify")
    assert code == 1 and out == ""
    assert "与机构状态不符" in err and "“已备案”" in err and "“未通过”" in err


def test_english_output(db: Engine, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFECOMM_LANGUAGE", "en")
    get_settings.cache_clear()
    agency = _agency(db)
    code, _, err = cli("advance", str(agency.id), "reject")
    assert code == 1 and err == 'error: Trigger "reject" needs a reason (--reason).\n'


def _register_names(path: Path) -> list[str]:
    return [str(row[1]) for row in table(path)[1:]]


def test_the_register_on_demand_and_after_every_change_to_it(
    db: Engine, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Art. 6 "予以备案，并向社会公布": `safecomm register --out DIR` writes the current
    register; with SAFECOMM_REGISTER_DIR set, `round close` and `advance … withdraw` write
    it there again after their commit, and a move that does not cross it does not."""
    first, second = _agency(db, name="甲咨询公司"), _agency(db, name="乙咨询公司")
    waiting = _agency(db, name="丙咨询公司")
    code, out, err = cli("register", "--out", str(tmp_path / "today"))
    assert (code, err) == (0, "")
    day = datetime.now(get_settings().zone).date().isoformat()
    on_demand = tmp_path / "today" / f"备案机构名录-{day}.csv"
    assert f"已生成备案机构名录（0 家）：{on_demand}" in out
    assert _register_names(on_demand) == []

    folder = tmp_path / "公开目录"
    monkeypatch.setenv("SAFECOMM_REGISTER_DIR", str(folder))
    get_settings.cache_clear()
    published = folder / f"备案机构名录-{day}.csv"
    cli("round", "create", "2026 第一批")
    for agency in (first, second):
        ref = agency.credit_code
        cli("round", "join", "2026 第一批", ref)
        cli("round", "score", ref, "--material", "80")
        code, out, _ = cli("advance", ref, "review")
        assert code == 0 and "备案机构名录" not in out  # not onto the register yet
        cli("round", "score", ref, "--interview", "80")
        assert cli("advance", ref, "interview")[0] == 0
    assert not folder.exists()
    code, out, err = cli("round", "close", "2026 第一批", "--out", str(tmp_path))
    assert (code, err) == (0, "")
    assert f"备案机构名录已更新：{folder / f'备案机构名录-{day}.xlsx'}、{published}" in out
    assert sorted(_register_names(published)) == ["乙咨询公司", "甲咨询公司"]

    code, out, err = cli(
        "advance", first.credit_code, "withdraw", "--ground", "staff_change", "--reason", "人员流失"
    )
    assert (code, err) == (0, "")
    assert "备案机构名录已更新" in out
    assert _register_names(published) == ["乙咨询公司"]

    published.unlink()
    cli("round", "score", waiting.credit_code, "--material", "80")
    code, out, _ = cli("advance", waiting.credit_code, "review")
    assert code == 0 and "备案机构名录" not in out
    assert not published.exists()


def test_a_register_folder_that_cannot_be_written_does_not_undo_the_change(
    db: Engine, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agency = _agency(db)
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("SAFECOMM_REGISTER_DIR", str(blocker))
    get_settings.cache_clear()
    cli("round", "create", "第一批")
    cli("round", "join", "第一批", agency.credit_code)
    cli("round", "score", agency.credit_code, "--material", "80")
    cli("advance", agency.credit_code, "review")
    cli("round", "score", agency.credit_code, "--interview", "80")
    cli("advance", agency.credit_code, "interview")
    code, out, err = cli("advance", agency.credit_code, "file")
    assert code == 0 and "已通过面试答辩 → 已备案" in out
    assert err.startswith("备案机构名录未能更新（") and "safecomm register --out" in err
    assert _status(db, agency.id) == "filed"


def test_advance_takes_the_operation_by_its_chinese_name(db: Engine, cli: Cli) -> None:
    """TERMS.md: `safecomm advance 4 材料审核通过` as well as `… review`."""
    agency = _agency(db, name="丁咨询公司")
    assert cli("round", "create", "2026 第三批")[0] == 0
    assert cli("round", "join", "2026 第三批", agency.credit_code)[0] == 0
    assert cli("round", "score", agency.credit_code, "--material", "80")[0] == 0
    code, out, err = cli("advance", agency.credit_code, "材料审核通过")
    assert (code, err) == (0, "") and "已申请 → 材料审核通过" in out
