"""The offline demo runs a whole year through the real handlers and services."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from bot.cli import main
from bot.demo.year import AGENCIES, agency_form, consultant_form, demo_year
from surveys.models import Submission
from tests.lists import table
from workflow.core.db import make_engine
from workflow.core.settings import load_settings
from workflow.lifecycle import audit
from workflow.registry.models import Agency
from workflow.reminders.models import Outbox


def test_the_demo_runs_a_whole_year(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out

    # the transcript shows both sides of real chats, and every stage
    assert "👤 社区工作人员1：/start" in printed and "🤖 第 1/5 题" in printed
    assert "回执码：" in printed and "已收到“" in printed
    assert (
        "因总量控制未列入本批次备案名单" in printed
        and "二级指标 2.4（指导创建单位开展风险辨识工作及设立项目）得 0 分" in printed
    )
    # Art. 14: what is lost or kept is the priority-recommendation status
    assert "建议取消优先推荐资格" in printed and "建议保留优先推荐资格" in printed
    assert "：已取消优先推荐资格" in printed and "：保留优先推荐资格" in printed
    assert "审计日志完整" in printed
    # Art. 11: a year of guidance work recorded and counted against the minimums — one unit
    # a training short, one safe community with 12 projects; the quarterly reminder tells
    # the agency its units' shortfalls
    assert "✓ 幸福里社区：培训 5 次，安全社区促进项目 15 个" in printed
    assert "✗ 和平街社区：安全社区促进项目 12 个，不少于 15 个，还差 3 个" in printed
    assert "✗ 中关村社区：培训 4 次，不少于 5 次，还差 1 次" in printed
    assert "【指导工作提醒】北京众安应急管理咨询有限公司" in printed
    assert "发出 2 条：指导工作提醒、每日汇总" in printed
    # ... and the contact records a piece of work in the chat, with a photo, when today
    # lies inside the demo year's guidance (April to the report deadline)
    if "联系人在聊天中记录一项工作的演示从略" not in printed:
        assert (
            "👤 机构联系人：/record" in printed
            and "已完成记录：宣传教育（宣传活动），万柳社区" in printed
        )
    # the experts' desk: per indicator the facts and the suggested judgement, and the pack
    assert "专家查阅材料：北京众安应急管理咨询有限公司（2 个创建单位）" in printed
    assert "2.4 指导创建单位开展风险辨识工作及设立项目：安全社区促进项目 0 个" in printed
    assert "系统建议：无此项内容，无证据" in printed
    index = out / f"证据包-北京众安应急管理咨询有限公司-{demo_year_of(printed)}年" / "索引.xlsx"
    links = [
        c.hyperlink.target
        for row in load_workbook(index).active.iter_rows()
        for c in row
        if c.hyperlink
    ]
    assert len(links) > 20 and all((index.parent / link).is_file() for link in links)
    # Art. 10(1): material review publishes the list invited to interview
    assert (
        "公布面试答辩名单（3 家）" in printed
        and "3. 北京华宇安全评价中心有限公司（收件日期" in printed
    )
    # Art. 6: the current register, after the round closes and again after the exits
    assert "当前备案机构名录共 3 家" in printed and "当前备案机构名录共 1 家" in printed
    assert "手机 138****0005，已备案，备案日期 " in printed
    # 评分说明一、三 and Art. 12: passed on the base score; graded on base + bonus, at most 100
    assert "基本分 98 分，加分 4 分，总分 100 分，优秀" in printed
    assert "基本分与加分合计 102 分，总分按满分 100 分计" in printed
    assert (
        "基本分 69 分，加分 3 分，总分 72 分，不合格（基本分 69 分，低于合格线 70 分（加分不计入是否通过））"
        in printed
    )
    # Art. 15: results open the 公示 period; objections recorded and decided; the exit list;
    # the ground-1 exit refused during the period and confirmed after it
    assert re.search(r"\d{4}年考核结果公示期：\d{4}年12月31日至\d{4}年1月7日", printed)
    assert "登记异议 #1" in printed and "登记异议 #2" in printed
    assert "异议 #2 不成立" in printed and "异议 #1 成立" in printed
    assert "重新评分后重新定稿：基本分 69" in printed and "公示期不变" in printed
    assert "取消优先推荐资格名单：1 家" in printed
    assert "的退出被拒绝：不能执行“取消优先推荐资格”：公示期至" in printed
    assert "公示期满，无未处理异议：北京众安应急管理咨询有限公司 已取消优先推荐资格" in printed
    # Art. 14(2): filed two full years earlier, no guidance since: proposed and withdrawn
    assert "北京远达安全咨询有限公司：建议取消优先推荐资格（" in printed
    assert "北京远达安全咨询有限公司 已取消优先推荐资格（" in printed
    assert "年连续两年未开展指导工作" in printed
    # personal data never printed in full: none of the demo's numbers, nor anything shaped so
    assert not [number for number in _personal_numbers() if number in printed]
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", printed)
    assert not re.search(r"(?<!\d)\d{17}[\dX](?!\d)", printed)

    engine = make_engine(f"sqlite:///{out / 'safecomm-demo.db'}")
    with Session(engine) as session:
        states = sorted(a.status for a in session.exec(select(Agency)))
        assert states == ["rejected", "rejected", "retained", "withdrawn", "withdrawn"]
        assert len(session.exec(select(Submission)).all()) == 3
        kinds = {row.kind for row in session.exec(select(Outbox)) if row.sent_at is not None}
        assert kinds == {
            "agency_report",
            "unit_questionnaire",
            "admin_digest",
            "guidance_shortfall",
        }
        assert audit.verify(session).ok
    engine.dispose()

    year = int(re.search(r"(\d{4})年度全流程", printed)[1])  # type: ignore[index]
    for name in (
        "演示批次-面试答辩名单.xlsx",
        "演示批次-面试答辩名单.csv",
        f"取消优先推荐资格名单-{year}.xlsx",
        f"取消优先推荐资格名单-{year}.csv",
        "演示批次-备案名单.xlsx",
        f"邀请名单-{year}.xlsx",
        f"考核结果-{year}.xlsx",
        f"考核结果-{year}.csv",
        f"考核结果-{year}.png",
    ):
        assert (out / name).stat().st_size > 0, name
    assert len(list((out / f"二维码-{year}").glob("*.png"))) == 4
    results = load_workbook(out / f"考核结果-{year}.xlsx").active
    assert results is not None and results.max_row >= 3
    # the register written after the round closed and again after the exits
    registers = sorted(out.glob("备案机构名录-*.xlsx"))
    assert len(registers) >= 2 and all(path.with_suffix(".csv").exists() for path in registers)
    assert len(table(registers[-1])) == 2  # the header and the retained agency
    # every published list ends with the audit anchor (the chain's length and head hash)
    for name in ("演示批次-备案名单.xlsx", f"考核结果-{year}.xlsx", f"考核结果-{year}.csv"):
        assert table(out / name), name
    assert table(out / f"取消优先推荐资格名单-{year}.csv")
    exit_list = load_workbook(out / f"取消优先推荐资格名单-{year}.xlsx").active
    assert exit_list is not None and exit_list["B2"].value == "北京众安应急管理咨询有限公司"


def _personal_numbers() -> list[str]:
    """Every phone and ID number the demo registers."""
    numbers = []
    for index, seed in enumerate(AGENCIES):
        form = agency_form(index, seed)
        numbers += [str(form["office_phone"]), str(form["principal_mobile"])]
        for number in range(seed.consultants):
            person = consultant_form(index, number)
            numbers += [str(person["mobile"]), str(person["id_number"])]
    return numbers


def demo_year_of(printed: str) -> int:
    return int(re.search(r"(\d{4})年度全流程", printed)[1])  # type: ignore[index]


def test_start_without_a_token_runs_the_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["start"]) == 0
    assert "审计日志完整" in capsys.readouterr().out
    assert (tmp_path / "safecomm-demo" / "safecomm-demo.db").exists()


def test_the_demo_year_is_one_whose_questionnaire_is_still_open() -> None:
    settings = load_settings()
    assert demo_year(settings, date(2026, 11, 26)) == 2026
    assert demo_year(settings, date(2026, 12, 20)) == 2026
    assert demo_year(settings, date(2026, 12, 21)) == 2027


def test_the_demo_in_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAFECOMM_LANGUAGE", "en")
    assert main(["demo", "--out", str(tmp_path / "en")]) == 0
    printed = capsys.readouterr().out
    assert "👤 community staff 1: /start" in printed and "[✅ Submit]" in printed
    assert "9. Results" in printed and "Audit log intact" in printed
    # the interface is English; only names typed as data stay Chinese
    ui = [line for line in printed.splitlines() if re.search(r"[一-鿿]", line)]
    assert all(re.search(r"北京|社区|咨询师|演示批次", line) for line in ui), ui[:5]
