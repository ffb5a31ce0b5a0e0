"""`safecomm unit|guidance|invite|survey|bot` as an admin uses them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from surveys.answering import Action, Press, enter_on_behalf, open_survey, press, record_message
from surveys.invitations import write_qr
from surveys.models import Invitation
from surveys.respondents import Respondent
from tests.bot.conftest import Cli
from tests.builders import make_agency
from tests.surveys.helpers import OPEN_YEAR, guided_units
from workflow.assessment.sheets import sheet_view
from workflow.community.models import CreationUnit, Guidance
from workflow.core.settings import Settings, get_settings
from workflow.registry.models import Agency


def an_agency(engine: Engine) -> Agency:
    with Session(engine, expire_on_commit=False) as session:
        return make_agency(session, consultants=0, seniors=0)


def test_unit_add_and_list(db: Engine, cli: Cli) -> None:
    code, out, _ = cli("unit", "add", "建国门街道", "--district", "东城", "--safe-community")
    assert code == 0 and out.strip() == "已添加创建单位 #1：东城区 建国门街道（安全社区）"
    code, out, _ = cli("unit", "list")
    assert "建国门街道" in out and "东城区" in out
    code, out, _ = cli("unit", "list", "--json")
    assert json.loads(out)[0]["name"] == "建国门街道"


def test_unit_add_refusals_are_one_clear_line(db: Engine, cli: Cli) -> None:
    code, _, err = cli("unit", "add", "某社区", "--district", "东城区")
    assert (
        code == 1
        and err.strip()
        == "错误：创建单位“某社区”至少要参加一个创建项目（安全社区或综合减灾示范社区）。"
    )
    cli("unit", "add", "某社区", "--district", "东城区", "--safe-community")
    code, _, err = cli("unit", "add", "某社区", "--district", "东城区", "--safe-community")
    assert code == 1 and err.count("\n") == 1 and "已有" in err


def test_template_then_import_units_and_guidance(db: Engine, cli: Cli, tmp_path: Path) -> None:
    guide = an_agency(db)
    template = tmp_path / "units.xlsx"
    code, out, _ = cli("unit", "template", str(template))
    assert code == 0 and "创建单位" in out
    code, _, err = cli("unit", "import", str(template))
    assert code == 1 and "示例行不导入" in err  # issue 11 item 5: the sample is not a unit
    workbook = load_workbook(template)
    workbook["创建单位"].append(["建国门街道", "东城区", "是", "否"])
    workbook["指导记录"].append(["建国门街道", "东城区", guide.credit_code, 2026])
    workbook.save(template)
    code, out, _ = cli("unit", "import", str(template))
    assert code == 0 and "新增 1 条" in out
    code, out, _ = cli("guidance", "import", str(template))
    assert code == 0 and "新增 1 条" in out
    code, out, _ = cli("guidance", "import", str(template))
    assert "已存在未变 1 条" in out
    with Session(db) as session:
        assert session.exec(select(Guidance)).one().year == 2026


def test_guidance_add_by_unit_name_and_credit_code(db: Engine, cli: Cli) -> None:
    guide = an_agency(db)
    cli("unit", "add", "和平里街道", "--district", "东城区", "--disaster-reduction")
    code, out, _ = cli("guidance", "add", "和平里街道", guide.credit_code, "2026")
    assert code == 0 and out.strip() == (
        f"已记录：{guide.name} 在 2026年指导 东城区 和平里街道（综合减灾示范社区，指导开始日期：1月1日）。"
    )
    code, _, err = cli("guidance", "add", "和平里街道", "91110000MA02WXY778", "2026")
    assert code == 1 and "没有找到机构" in err


def test_invite_issues_missing_invitations_with_a_sheet_qr_codes_and_letters(
    db: Engine, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFECOMM_WEB_BASE_URL", "https://wenjuan.example.cn")
    get_settings.cache_clear()
    with Session(db, expire_on_commit=False) as session:
        guided = guided_units(session, count=2)
        extra = guided_units(session, count=1, agency=guided.agency)
        session.delete(session.get(Invitation, extra.invitations[0].id))
        session.commit()
    code, out, _ = cli("invite", str(OPEN_YEAR), "--out", str(tmp_path / "out"))
    assert code == 0 and f"{OPEN_YEAR}年：新发出 1 份问卷邀请，共 3 份。" in out
    sheet = tmp_path / "out" / f"邀请名单-{OPEN_YEAR}.xlsx"
    rows = list(load_workbook(sheet).active.iter_rows(values_only=True))[1:]
    assert len(rows) == 3
    for row in rows:
        token = row[4].removeprefix("https://wenjuan.example.cn/s/")
        assert row[5] == f"https://t.me/bjsafety_bot?start={token}" and len(token) == 32
        qr = tmp_path / "out" / row[6]
        assert qr.read_bytes() == write_qr(row[4], tmp_path / "expected.png").read_bytes()
        letter = (tmp_path / "out" / row[7]).read_text(encoding="utf-8")
        assert row[4] in letter and row[5] in letter and "<svg" in letter
    assert len(list((tmp_path / "out" / f"二维码-{OPEN_YEAR}").glob("*.png"))) == 3
    assert len(list((tmp_path / "out" / f"邀请函-{OPEN_YEAR}").glob("*.html"))) == 3
    assert "可用微信扫描" in out and "邀请函" in out and "3 个 HTML 文件" in out
    code, out, _ = cli("invite", str(OPEN_YEAR), "--out", str(tmp_path / "out"))
    assert "新发出 0 份" in out
    code, out, err = cli("invite", "1999")  # before any year the software keeps
    assert code == 1 and "年度 1999 无效" in err and out == ""
    code, out, _ = cli("invite", "2000")
    assert code == 0 and "没有指导记录" in out


def test_invite_show_and_rebind(db: Engine, cli: Cli, settings: Settings) -> None:
    with Session(db, expire_on_commit=False) as session:
        guided = guided_units(session, count=1)
        invitation, unit = guided.invitations[0], guided.units[0]
        open_survey(session, invitation.token, Respondent.telegram(555), settings)
        session.commit()
    args = ("invite", "show", str(unit.id), guided.agency.credit_code, str(OPEN_YEAR))
    code, out, _ = cli(*args, "--json")
    data = json.loads(out)
    assert code == 0
    assert data["link"] == f"https://t.me/bjsafety_bot?start={invitation.token}"
    assert (data["status"], data["bound_user_id"], data["submissions"]) == ("opened", 555, 0)
    assert data["unit"]["name"] == unit.name and data["agency"]["id"] == guided.agency.id
    assert data["web_link"] == f"http://127.0.0.1:8000/s/{invitation.token}"
    assert data["channel"] == "telegram"
    code, out, _ = cli(*args)
    assert "状态：已打开" in out and "填写方式：Telegram 用户 555" in out
    assert f"网页链接：http://127.0.0.1:8000/s/{invitation.token}" in out

    code, out, _ = cli(
        "invite",
        "rebind",
        unit.name,
        str(guided.agency.id),
        str(OPEN_YEAR),
        "--user",
        "777",
    )
    assert code == 0 and "Telegram 用户 777" in out
    code, out, _ = cli("invite", "rebind", unit.name, str(guided.agency.id), str(OPEN_YEAR))
    assert "下一位打开它的用户" in out
    with Session(db) as session:
        stored = session.get(Invitation, invitation.id)
        assert stored is not None and stored.bound_user_id is None and stored.rebound_by == "王管理"

    # released: a browser may bind it now, and `show` says so
    with Session(db, expire_on_commit=False) as session:
        open_survey(session, invitation.token, Respondent.web("a" * 43), settings)
        session.commit()
    code, out, _ = cli(*args)
    assert "填写方式：网页" in out
    code, out, _ = cli("invite", "rebind", unit.name, str(guided.agency.id), str(OPEN_YEAR))
    with Session(db, expire_on_commit=False) as session:  # and, released again, the chat
        opened = open_survey(session, invitation.token, Respondent.telegram(556), settings)
        assert opened.survey.invitation_id == invitation.id
        session.commit()

    other = an_agency(db)
    code, _, err = cli("invite", "show", str(unit.id), str(other.id), str(OPEN_YEAR))
    assert code == 1 and "没有" in err and err.count("\n") == 1


def test_survey_status_and_fill(db: Engine, cli: Cli, settings: Settings, tmp_path: Path) -> None:
    with Session(db, expire_on_commit=False) as session:
        guided = guided_units(session, count=2)
        silent = guided_units(session, count=1)
        invitation = guided.invitations[0]
        open_survey(session, invitation.token, Respondent.telegram(42), settings)
        record_message(session, invitation.id, 1)
        for number, points in enumerate([4, 3, 2, 1, 0], start=1):
            press(
                session,
                Press(invitation.id, Action.ANSWER, number, points),
                Respondent.telegram(42),
                settings,
                1,
            )
        press(session, Press(invitation.id, Action.SUBMIT), Respondent.telegram(42), settings, 1)
        session.commit()
    report = tmp_path / "status.xlsx"
    code, out, _ = cli("survey", "status", str(OPEN_YEAR), "--xlsx", str(report))
    assert code == 0 and "已提交" in out and guided.units[1].name in out and report.exists()
    code, out, _ = cli("survey", "status", str(OPEN_YEAR), "--json")
    statuses = {row["unit"]: row["status"] for row in json.loads(out)}
    assert (
        statuses[guided.units[0].name] == "submitted"
        and statuses[guided.units[1].name] == "invited"
    )

    channels = {row["unit"]: row["channel"] for row in json.loads(out)}
    assert channels == {
        guided.units[0].name: "telegram",
        guided.units[1].name: "",
        silent.units[0].name: "",
    }

    code, out, _ = cli("survey", "fill", str(OPEN_YEAR))
    assert code == 0
    assert (
        f"已填入 {guided.agency.name}：3.1 得 4 分、3.2 得 3 分、3.3 得 2 分、3.4 得 1 分、3.5 得 0 分（1 个单位提交）"
        in out
    )
    assert f"未填入 {silent.agency.name}：没有创建单位提交问卷" in out
    assert "尚未截止" in out
    with Session(db) as session:
        assert sheet_view(session, guided.agency.id, OPEN_YEAR).points["3.1"] == 4
        assert session.exec(select(CreationUnit)).all()


def test_survey_status_shows_the_channel_of_each_bound_invitation(
    db: Engine, cli: Cli, settings: Settings, tmp_path: Path
) -> None:
    with Session(db, expire_on_commit=False) as session:
        guided = guided_units(session, count=4)
        tokens = [invitation.token for invitation in guided.invitations]
        open_survey(session, tokens[0], Respondent.telegram(42), settings)
        open_survey(session, tokens[1], Respondent.web("b" * 43), settings)
        enter_on_behalf(
            session,
            guided.units[2],
            guided.agency,
            OPEN_YEAR,
            dict.fromkeys(range(1, 6), 3),
            channel="paper",
            actor="王管理",
            settings=settings,
        )
        session.commit()
    report = tmp_path / "status.xlsx"
    code, out, _ = cli("survey", "status", str(OPEN_YEAR), "--xlsx", str(report))
    assert code == 0 and "填写方式" in out
    lines = {
        unit.name: line for unit in guided.units for line in out.splitlines() if unit.name in line
    }
    assert "Telegram" in lines[guided.units[0].name]
    assert "网页" in lines[guided.units[1].name]
    assert "管理员录入" in lines[guided.units[2].name]
    assert not {"Telegram", "网页", "管理员录入"} & set(lines[guided.units[3].name].split())
    units = load_workbook(report).worksheets[1]
    header = [cell.value for cell in units[1]]
    column = header.index("填写方式")
    by_unit = {row[3].value: row[column].value for row in units.iter_rows(min_row=2)}
    assert by_unit[guided.units[1].name] == "网页" and by_unit[guided.units[2].name] == "管理员录入"


def test_bot_without_a_token_stops_with_one_line(db: Engine, cli: Cli) -> None:
    code, out, err = cli("bot")
    assert code == 2 and out == ""
    assert (
        err
        == "未配置 Telegram 机器人令牌：请设置 SAFECOMM_TELEGRAM_TOKEN（从 @BotFather 获取）。\n"
    )


def test_bot_with_a_malformed_token_stops_with_one_line_without_the_token(
    db: Engine, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFECOMM_TELEGRAM_TOKEN", "not-a-token-secret-xyz")
    get_settings.cache_clear()
    code, out, err = cli("bot")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "SAFECOMM_TELEGRAM_TOKEN" in err and "secret-xyz" not in err


def test_invite_writes_no_qr_code_or_sheet_when_issuing_fails_to_commit(
    db: Engine, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files belong to rows (issue 14, item 12): a commit that fails leaves no QR code,
    letter or sheet for invitations the database does not hold."""
    with Session(db, expire_on_commit=False) as session:
        guided_units(session, count=2)
        session.execute(delete(Invitation))
        session.commit()

    def lost(_session: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("connection lost"))

    with monkeypatch.context() as patched:
        patched.setattr(Session, "commit", lost)
        code, _, err = cli("invite", str(OPEN_YEAR), "--out", str(tmp_path / "out"))
    assert code == 1 and "connection lost" in err
    with Session(db) as session:
        assert session.exec(select(Invitation)).all() == []
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").rglob("*.*")) == []
