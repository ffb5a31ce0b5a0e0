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
        "名额之外" in printed
        and "二级指标 2.4（指导创建单位开展风险辨识工作及设立项目）得 0 分" in printed
    )
    # Art. 14: what is lost or kept is the priority-recommendation status
    assert "建议取消优先推荐资格" in printed and "建议保留优先推荐资格" in printed
    assert "：已取消优先推荐资格" in printed and "：保留优先推荐资格" in printed
    assert "审计日志完整" in printed
    # personal data never printed in full: none of the demo's numbers, nor anything shaped so
    assert not [number for number in _personal_numbers() if number in printed]
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", printed)
    assert not re.search(r"(?<!\d)\d{17}[\dX](?!\d)", printed)

    engine = make_engine(f"sqlite:///{out / 'safecomm-demo.db'}")
    with Session(engine) as session:
        states = sorted(a.status for a in session.exec(select(Agency)))
        assert states == ["rejected", "rejected", "retained", "withdrawn"]
        assert len(session.exec(select(Submission)).all()) == 3
        kinds = {row.kind for row in session.exec(select(Outbox)) if row.sent_at is not None}
        assert kinds == {"agency_report", "unit_questionnaire", "admin_digest"}
        assert audit.verify(session).ok
    engine.dispose()

    year = int(re.search(r"(\d{4}) 年度全流程", printed)[1])  # type: ignore[index]
    for name in (
        "演示批次-filed.xlsx",
        f"invitations-{year}.xlsx",
        f"考核结果-{year}.xlsx",
        f"考核结果-{year}.csv",
        f"考核结果-{year}.png",
    ):
        assert (out / name).stat().st_size > 0, name
    assert len(list((out / f"qr-{year}").glob("*.png"))) == 4
    results = load_workbook(out / f"考核结果-{year}.xlsx").active
    assert results is not None and results.max_row >= 3


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
    assert "7. Results" in printed and "Audit log intact" in printed
    # the interface is English; only names typed as data stay Chinese
    ui = [line for line in printed.splitlines() if re.search(r"[一-鿿]", line)]
    assert all(re.search(r"北京|社区|咨询师|演示批次", line) for line in ui), ui[:5]
