"""`safecomm agency …` / `safecomm consultant …` as an admin uses them."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

import workflow.core.db
from tests.bot.conftest import Cli
from tests.builders import agency_fields, agency_row, fill, make_agency, people, person
from workflow.core.settings import get_settings
from workflow.registry.models import Agency, Consultant
from workflow.registry.service import current_application


def options(fields: dict[str, Any]) -> list[str]:
    argv: list[str] = []
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "是" if value else "否"
        argv += ["--" + name.replace("_", "-"), str(value)]
    return argv


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def agency_options(**overrides: Any) -> list[str]:
    return options(agency_fields(**overrides))


def test_add_list_show(db: Engine, cli: Cli) -> None:
    code, out, err = cli("agency", "add", *agency_options(name="北京平安咨询有限公司"))
    assert (code, err) == (0, "")
    assert out.strip() == "已登记机构 #1 北京平安咨询有限公司（咨询人员 0 名）。"
    for someone in people(5):
        code, out, err = cli("consultant", "add", "1", *options(someone))
        assert code == 0, err
    code, out, _ = cli("agency", "list")
    assert code == 0
    assert "北京平安咨询有限公司" in out and "编号" in out and "缺少材料" in out
    code, out, _ = cli("agency", "show", "1")
    assert code == 0
    assert "统一代码：" in out and "手机：138****5678" in out and "办公电话：010-******34" in out
    assert "【咨询人员（5 名）】" in out
    assert "✗ 工商营业执照复印件" in out
    assert "✗ 经营范围含安全生产、应急管理相关咨询服务内容（专家组认定）：系统提示：" in out
    assert "尚待专家组认定，材料审核通过前须由专家组作出认定" in out
    assert (
        "○ 熟悉创建程序和评定标准，能满足七个方面的服务指导要求（专家组判断）：尚待专家组判断"
        in out
    )
    assert "✓ 咨询人员 5 名以上：咨询人员 5 名，不少于 5 名" in out
    assert "✗ 1 项条件不符合" in out
    with Session(db) as session:
        for consultant in session.exec(select(Consultant)).all():
            assert consultant.id_number not in out and consultant.mobile not in out
            assert consultant.id_number[:6] + "********" + consultant.id_number[-4:] in out


def test_show_and_list_json(db: Engine, cli: Cli) -> None:
    with Session(db, expire_on_commit=False) as session:
        agency = make_agency(session)
        other = make_agency(session, consultants=1)
    code, out, _ = cli("agency", "show", agency.credit_code, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["agency"]["credit_code"] == agency.credit_code
    assert data["agency"]["principal_mobile"] == "138****5678"
    assert len(data["consultants"]) == 5
    assert all("********" in c["id_number"] for c in data["consultants"])
    assert data["application"]["missing_materials"] == []
    assert data["eligibility"]["passed"] is True
    assert [c["code"] for c in data["eligibility"]["conditions"]][:2] == [
        "legal_person_office",
        "business_scope",
    ]
    code, out, _ = cli("agency", "list", "--json", "--status", "applied")
    listed = json.loads(out)
    assert [a["id"] for a in listed] == [agency.id, other.id]
    assert [(a["consultants"], a["senior_titles"]) for a in listed] == [(5, 2), (1, 1)]
    assert "138****5678" in out and "13812345678" not in out
    code, out, _ = cli("agency", "list", "--json", "--status", "filed")
    assert json.loads(out) == []


def test_add_reports_every_wrong_field_and_writes_nothing(db: Engine, cli: Cli) -> None:
    argv = agency_options(postcode="1000", principal_mobile="123")
    argv[argv.index("--name") + 1] = " "
    code, out, err = cli("agency", "add", *argv)
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("错误：填写有误（3 处），未写入任何内容：单位全称：必填，不能为空；")
    assert "邮编：应为 6 位数字" in err and "手机：应为 11 位中国大陆手机号码" in err
    assert count(db, Agency) == 0


def test_duplicate_credit_code_refused(db: Engine, cli: Cli) -> None:
    with Session(db) as session:
        existing = make_agency(session, name="先来的公司")
    code, _, err = cli("agency", "add", *agency_options(credit_code=existing.credit_code))
    assert code == 1
    assert f"统一代码：已有机构使用此代码：先来的公司（编号 {existing.id}）" in err
    assert count(db, Agency) == 1


def test_add_from_json_with_labels_and_consultants(db: Engine, cli: Cli, tmp_path: Path) -> None:
    fields = agency_fields()
    document = {k: v.isoformat() if isinstance(v, date) else v for k, v in fields.items()}
    document["统一代码"] = document.pop("credit_code")
    document["consultants"] = [
        {k: v.isoformat() if isinstance(v, date) else v for k, v in p.items()} for p in people(2)
    ]
    path = tmp_path / "agency.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    code, out, err = cli("agency", "add", "--from-json", str(path), "--name", "覆盖的名称")
    assert code == 0, err
    assert "覆盖的名称（咨询人员 2 名）" in out
    assert count(db, Consultant) == 2


def test_from_json_bad_files(db: Engine, cli: Cli, tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.json"
    gbk.write_bytes('{"name": "北京安全咨询"}'.encode("gbk"))
    code, _, err = cli("agency", "add", "--from-json", str(gbk))
    assert code == 1 and f"文件 {gbk} 不是 UTF-8 编码的文本" in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": \n', encoding="utf-8")
    code, _, err = cli("agency", "add", "--from-json", str(broken))
    assert code == 1 and "第 2 行不是有效的 JSON" in err
    code, _, err = cli("agency", "add", "--from-json", str(tmp_path / "none.json"))
    assert code == 1 and "无法读取文件" in err
    assert count(db, Agency) == 0


def test_consultant_add_checks_the_id_number(db: Engine, cli: Cli) -> None:
    with Session(db) as session:
        agency = make_agency(session, consultants=0)
    someone = person(gender="女") | {"id_number": person(gender="男")["id_number"]}
    code, _, err = cli("consultant", "add", agency.credit_code, *options(someone))
    assert code == 1
    assert "身份证号：其中的性别位与所填性别“女”不一致" in err
    assert someone["id_number"] not in err
    code, _, err = cli("consultant", "add", "999", *options(person()))
    assert code == 1 and "没有找到机构“999”" in err
    assert count(db, Consultant) == 0


def test_materials_and_judgement(db: Engine, cli: Cli) -> None:
    with Session(db) as session:
        agency = make_agency(session, materials_complete=False, familiar_judgement=None)
    code, out, err = cli("agency", "materials", str(agency.id),
        "--set", "business_licence=是", "--set", "咨询单位登记表=yes",
    )  # fmt: skip
    assert code == 0, err
    assert "✓ 工商营业执照复印件" in out and "✓ 咨询单位登记表" in out and "✗ 业绩报告" in out
    code, _, err = cli("agency", "materials", str(agency.id), "--set", "business_licence")
    assert code == 1 and "材料名=是" in err
    code, _, err = cli("agency", "materials", str(agency.id), "--set", "cat=是")
    assert code == 1 and "没有申报材料“cat”" in err
    with Session(db) as session:
        application = current_application(session, agency.id)
        assert application.business_licence and application.agency_form
        assert not application.performance_report


def test_template_import_show_round_trip(db: Engine, cli: Cli, tmp_path: Path) -> None:
    template = tmp_path / "登记表.xlsx"
    code, out, _ = cli("agency", "template", str(template))
    assert code == 0 and template.exists() and "已生成登记表模板" in out
    code, _, err = cli("agency", "template", str(template))
    assert code == 1 and "已存在" in err
    row = agency_row()
    filled = fill(tmp_path / "filled.xlsx", [row], [(row["credit_code"], p) for p in people(6)])
    code, out, err = cli("agency", "import", str(filled))
    assert (code, err) == (0, "")
    assert out.strip() == "导入完成：新登记机构 1 家，咨询人员 6 名（其中添加到已登记机构 0 家）。"
    code, out, _ = cli("agency", "show", row["credit_code"])
    assert "【咨询人员（6 名）】" in out and "✓ 工商营业执照复印件" in out


def test_import_prints_every_error_and_writes_nothing(db: Engine, cli: Cli, tmp_path: Path) -> None:
    row = agency_row(postcode="1")
    someone = people(1)[0] | {"mobile": "123"}
    filled = fill(tmp_path / "bad.xlsx", [row], [(row["credit_code"], someone)])
    code, out, err = cli("agency", "import", str(filled))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "工作表 单位登记表 第 2 行 邮编：应为 6 位数字",
        "工作表 人员登记表 第 2 行 移动电话：应为 11 位中国大陆手机号码，以 13–19 开头，例如 13812345678",
        "错误：导入失败：共 2 处错误，未写入任何内容。请改正上列各处后重新导入。",
    ]
    assert count(db, Agency) == 0


def test_import_of_a_renamed_csv(db: Engine, cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "agencies.xlsx"
    path.write_bytes("单位全称,统一代码\n北京,1\n".encode("gbk"))
    code, _, err = cli("agency", "import", str(path))
    assert code == 1
    assert err.startswith("错误：文件 agencies.xlsx 不是 Excel 工作簿（.xlsx）")


def test_locked_database_is_refused_and_left_unchanged(
    db: Engine, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = workflow.core.db._sqlite_pragmas

    def short_wait(connection: Any, record: Any) -> None:
        original(connection, record)
        connection.execute("PRAGMA busy_timeout=50")

    monkeypatch.setattr(workflow.core.db, "_sqlite_pragmas", short_wait)
    path = db.url.database
    assert path is not None
    holder = sqlite3.connect(path)
    holder.execute("BEGIN IMMEDIATE")  # another process is writing
    try:
        code, out, err = cli("agency", "add", *agency_options())
    finally:
        holder.rollback()
        holder.close()
    assert code == 1 and out == ""
    assert err.strip() == "错误：数据库不可用：database is locked。未写入任何内容，请稍后重试。"
    assert count(db, Agency) == 0


def test_unreachable_database(cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SAFECOMM_DATABASE_URL", f"sqlite:///{tmp_path}/no/such/dir/safecomm.db")
    get_settings.cache_clear()
    try:
        code, out, err = cli("agency", "list")
    finally:
        get_settings.cache_clear()
    assert code == 1 and out == ""
    assert (
        err.strip()
        == "错误：数据库不可用：unable to open database file。未写入任何内容，请稍后重试。"
    )


def test_cli_on_both_backends(
    any_engine: Engine, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "SAFECOMM_DATABASE_URL", any_engine.url.render_as_string(hide_password=False)
    )
    get_settings.cache_clear()
    try:
        argv = agency_options()
        assert cli("agency", "add", *argv)[0] == 0
        code, _, err = cli("agency", "add", *argv)
        assert code == 1 and "已有机构使用此代码" in err
        code, out, _ = cli("agency", "show", "1", "--json")
    finally:
        get_settings.cache_clear()
    assert code == 0 and json.loads(out)["agency"]["id"] == 1
    assert count(any_engine, Agency) == 1


def test_list_and_show_name_the_state_in_words(db: Engine, cli: Cli) -> None:
    with Session(db, expire_on_commit=False) as session:
        agency = make_agency(session)
    code, out, _ = cli("agency", "list")
    assert code == 0 and "已申请" in out and " applied " not in out
    code, out, _ = cli("agency", "show", str(agency.id))
    assert code == 0 and "已申请" in out.splitlines()[0]


def test_list_takes_the_state_by_its_chinese_name(db: Engine, cli: Cli) -> None:
    """TERMS.md: `agency list --status 已申请` as well as `--status applied`."""
    with Session(db, expire_on_commit=False) as session:
        agency = make_agency(session)
    by_name = cli("agency", "list", "--json", "--status", "已申请")
    by_code = cli("agency", "list", "--json", "--status", "applied")
    assert by_name == by_code and [a["id"] for a in json.loads(by_name[1])] == [agency.id]
    code, out, err = cli("agency", "list", "--status", "备案了")
    assert code == 1 and out == "" and "未知状态“备案了”" in err and "已备案" in err


def test_scope_and_judge_commands_record_the_experts_judgements(db: Engine, cli: Cli) -> None:
    """Art. 8(2): `agency scope` shows the suggestion and records the decision with a reason;
    Art. 8(3): `agency judge` records the seven fields (or some of them), with a reason."""
    from workflow.lifecycle.audit import history

    with Session(db) as session:
        agency = make_agency(
            session,
            scope_related=None,
            familiar_judgement=None,
            business_scope="安全咨询服务；安全评价业务",
        )
    code, out, _ = cli("agency", "scope", str(agency.id))
    assert code == 0
    assert "系统提示：经营范围中“安全咨询服务”、“安全评价业务”属相关咨询服务内容" in out
    code, _, err = cli("agency", "scope", str(agency.id), "--related")
    assert code == 1 and "请填写专家组作出判断的理由" in err
    code, out, err = cli(
        "agency", "scope", str(agency.id), "--related", "--reason", "与咨询服务相关"
    )
    assert code == 0, err
    assert "已记录专家组认定（材料审核）：" in out and "含相关咨询服务内容，确认系统提示" in out
    code, out, err = cli(
        "agency",
        "judge",
        str(agency.id),
        "--not-familiar",
        "--field",
        "燃气安全",
        "--reason",
        "无燃气业绩",
    )
    assert code == 0, err
    assert "已记录专家组判断（材料审核）：" in out and "燃气安全：不熟悉" in out
    code, _, err = cli(
        "agency", "judge", str(agency.id), "--familiar", "--field", "养老", "--reason", "x"
    )
    assert code == 1 and "未知的判断事项“养老”" in err
    code, out, _ = cli("agency", "show", str(agency.id))
    assert "✓ 经营范围含安全生产、应急管理相关咨询服务内容（专家组认定）：专家组认定" in out
    assert (
        "✗ 熟悉创建程序和评定标准，能满足七个方面的服务指导要求（专家组判断）：专家组判断：燃气安全"
        in out
    )
    with Session(db) as session:
        entries = history(session, agency.id)
    assert [(e.trigger, e.actor, e.reason) for e in entries] == [
        ("judge.scope", "cli:王管理", "与咨询服务相关"),
        ("judge.familiar", "cli:王管理", "无燃气业绩"),
    ]
