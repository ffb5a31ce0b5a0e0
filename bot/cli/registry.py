"""`safecomm agency …` and `safecomm consultant …`: the registry at the terminal.

    safecomm agency add --name … --credit-code … (or --from-json FILE)
    safecomm agency list [--status S] [--json]
    safecomm agency show REF [--json]          REF = agency id or credit code
    safecomm agency materials REF --set business_licence=是 …
    safecomm agency scope REF [--related | --not-related --reason …]   Art. 8(2)
    safecomm agency judge REF --familiar | --not-familiar --reason … [--field 消防安全 …]
    safecomm agency template FILE.xlsx
    safecomm agency import FILE.xlsx
    safecomm agency set REF FIELD VALUE --reason …        correct one field, audited
    safecomm agency changes-template FILE.xlsx / safecomm agency changes FILE.xlsx
    safecomm consultant add REF --name … (or --from-json FILE)
    safecomm consultant set REF CONSULTANT FIELD VALUE --reason …
    safecomm consultant remove REF CONSULTANT --reason …   staff left (Art. 14(3))
    safecomm consultant photo REF CONSULTANT FILE.jpg --reason …   the photo, as an image

Every form field is an option named after the model field (`--credit-code`);
values are checked by `workflow.registry`, which reports every wrong field at
once. ID numbers and phones are printed masked only.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bot.cli.common import keep_register, open_engine, operator, print_json, print_table
from workflow.core.errors import InvalidInput
from workflow.core.i18n import workflow_texts
from workflow.lifecycle.states import state_label

if TYPE_CHECKING:
    from sqlmodel import Session

    from workflow.registry.eligibility import Eligibility
    from workflow.registry.models import Agency, Application, Consultant

AGENCY_OPTIONS: tuple[tuple[str, bool], ...] = (
    ("name", True),
    ("address", True),
    ("licence_place", True),
    ("credit_code", True),
    ("postcode", True),
    ("legal_representative", True),
    ("office_phone", True),
    ("fax", False),
    ("principal", True),
    ("principal_mobile", True),
    ("principal_office_phone", False),
    ("principal_fax", False),
    ("performance_summary", False),
    ("independent_legal_person", False),
    ("fixed_office", False),
    ("business_scope", False),
    ("service_since", False),
    ("admin_staff", False),
    ("process_docs_complete", False),
    ("licences_complete", False),
    ("violation_record", False),
)
"""(name, required) of every field of `AGENCY_FORM + AGENCY_FACTS` in
`workflow.registry.forms`: written out so that registering the commands imports
no database code (a test keeps the two equal)."""

CONSULTANT_OPTIONS: tuple[tuple[str, bool], ...] = (
    ("name", True),
    ("gender", True),
    ("birth_date", True),
    ("employer_department", False),
    ("position", False),
    ("title", False),
    ("senior_title", False),
    ("specialty", False),
    ("address", False),
    ("postcode", False),
    ("mobile", True),
    ("email", False),
    ("id_number", True),
    ("school", False),
    ("education", False),
    ("degree", False),
    ("certificates", False),
    ("years_consulting", False),
    ("cv", False),
    ("pledge_date", False),
)
"""(name, required) of every field of `CONSULTANT_FORM`, likewise."""

agency_app = typer.Typer(help="咨询服务机构登记 / agency registry", no_args_is_help=True)
consultant_app = typer.Typer(help="咨询人员登记 / consultants", no_args_is_help=True)

_MARK = {True: "✓", False: "✗"}


def _t(key: str, **params: object) -> str:
    return workflow_texts.text(f"registry.cli.{key}", None, **params)


def _with_form_options(form: str, fields: Sequence[tuple[str, bool]]) -> Callable[[Any], Any]:
    """Give a command one `--field-name TEXT` option per form field (help: its labels).

    The command receives them in `**values`; `workflow.registry` checks them, so a
    missing required field is reported together with every other wrong field."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(command, eval_str=True)
        fixed = [p for p in signature.parameters.values() if p.kind != p.VAR_KEYWORD]
        options = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=typer.Option(
                    None,
                    "--" + name.replace("_", "-"),
                    help=_field_help(form, name, required),
                    show_default=False,
                ),
                annotation=str | None,
            )
            for name, required in fields
        ]
        command.__signature__ = signature.replace(parameters=fixed + options)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in fixed + options}
        return command

    return decorate


def _field_help(form: str, name: str, required: bool) -> str:
    """`统一代码（必填） / unified social credit code (required)`."""
    zh, en = _label(form, name, "zh"), _label(form, name, "en")
    if required:
        return f"{zh}（必填） / {en} (required)"
    return f"{zh} / {en}"


def _label(form: str, name: str, language: str) -> str:
    """`workflow.registry.forms.label`, without importing the forms and their models."""
    try:
        return workflow_texts.text(f"registry.label.{form}.{name}", language)
    except KeyError:
        return name


def _read_json(path: Path, form: str) -> dict[str, Any]:
    """A JSON object of form fields from a UTF-8 file; keys are field names or Chinese labels."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InvalidInput(
            "registry.cli.cannot_read", path=str(path), detail=error.strerror
        ) from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidInput("registry.cli.not_utf8", path=str(path)) from None
    except json.JSONDecodeError as error:
        raise InvalidInput(
            "registry.cli.bad_json", path=str(path), line=error.lineno, detail=error.msg
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput("registry.cli.json_not_object", path=str(path))
    return _by_field_name(data, form)


def _by_field_name(values: Mapping[str, Any], form: str) -> dict[str, Any]:
    """Accept Chinese labels as keys too (`统一代码` → `credit_code`)."""
    from workflow.registry.forms import FIELD_LABELS

    names = {v: k for part in (form, "application") for k, v in FIELD_LABELS[part].items()}
    return {names.get(key, key): value for key, value in values.items()}


def _given(values: Mapping[str, str | None]) -> dict[str, str]:
    return {name: value for name, value in values.items() if value is not None}


def _display(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _t("yes") if value else _t("no")
    return str(value)


def _eligibility_lines(result: Eligibility) -> None:
    failed = [c for c in result.failed if not c.pending]
    separator = workflow_texts.text("registry.separator")
    summary = _t("not_eligible", n=len(failed)) if failed else _t("eligible")
    if result.pending:
        summary = (summary + separator if failed else "") + _t(
            "review_ready", n=len(result.pending)
        )
    if result.flagged:
        summary += separator + _t("flagged", n=len(result.flagged))
    print(f"{_MARK[not failed]} {summary}")
    for condition in result.conditions:
        mark = "⚠" if condition.flagged and condition.passed else _MARK[condition.passed]
        print(f"  {'○' if condition.pending else mark} {condition.title}：{condition.reason}")


def _checklist_lines(application: Application) -> None:
    from workflow.registry.forms import label
    from workflow.registry.models import MATERIALS

    print(_t("checklist", id=application.id))
    for name in MATERIALS:
        print(f"  {_MARK[bool(getattr(application, name))]} {label('application', name)}")


def _show(session: Session, agency: Agency, as_json: bool) -> None:
    from workflow.registry.display import (
        agency_public_dict,
        application_public_dict,
        consultant_public_dict,
    )
    from workflow.registry.eligibility import check_eligibility
    from workflow.registry.forms import AGENCY_FACTS, AGENCY_FORM, label
    from workflow.registry.service import consultants_of, current_application

    assert agency.id is not None
    consultants = consultants_of(session, agency.id)
    application = current_application(session, agency.id)
    eligibility = check_eligibility(session, agency)
    if as_json:
        print_json(
            {
                "agency": agency_public_dict(agency),
                "consultants": [consultant_public_dict(c) for c in consultants],
                "application": application_public_dict(application),
                "eligibility": eligibility.as_dict(),
            }
        )
        return
    public = agency_public_dict(agency)
    print(_t("heading", id=agency.id, name=agency.name, status=state_label(agency.status)))
    for section, fields in (("agency_form", AGENCY_FORM), ("facts", AGENCY_FACTS)):
        print(_t(section))
        for field in fields:
            print(f"  {label('agency', field.name)}：{_display(public[field.name])}")
    print(_t("consultants", n=len(consultants)))
    if consultants:
        elsewhere: dict[int | None, list[str]] = {}
        for entry in eligibility.elsewhere:
            elsewhere.setdefault(entry.consultant.id, []).append(
                f"⚠ {entry.agency_name}（#{entry.agency_id}）"
            )
        rows = []
        for consultant in consultants:
            shown = consultant_public_dict(consultant)
            rows.append(
                [
                    shown["id"],
                    shown["name"],
                    shown["gender"],
                    shown["title"],
                    _MARK[consultant.senior_title],
                    shown["specialty"],
                    shown["mobile"],
                    shown["id_number"],
                    "、".join(elsewhere.get(consultant.id, [])),
                ]
            )
        headers = (
            [_t("column.id")]
            + [
                label("consultant", n)
                for n in (
                    "name",
                    "gender",
                    "title",
                    "senior_title",
                    "specialty",
                    "mobile",
                    "id_number",
                )
            ]
            + [_t("column.elsewhere")]
        )
        print_table(headers, rows)
    _checklist_lines(application)
    print(_t("eligibility"))
    _eligibility_lines(eligibility)


@agency_app.command("add")
@_with_form_options("agency", AGENCY_OPTIONS)
def agency_add(
    from_json: Path | None = typer.Option(
        None,
        "--from-json",
        help="UTF-8 JSON 文件：登记表各栏（可含 consultants 列表） / JSON file with the form fields",
    ),
    **values: str | None,
) -> None:
    """登记一家咨询服务机构（单位登记表），并建立第一份申请 / register an agency."""
    from workflow.core.db import transaction
    from workflow.registry.service import add_consultant, register_agency

    fields: dict[str, Any] = _read_json(from_json, "agency") if from_json else {}
    people = fields.pop("consultants", [])
    if not isinstance(people, list) or not all(isinstance(p, dict) for p in people):
        raise InvalidInput("registry.cli.consultants_not_list")
    fields.update(_given(values))
    with transaction(open_engine()) as session:
        agency = register_agency(session, fields)
        assert agency.id is not None
        for person in people:
            add_consultant(session, agency.id, _by_field_name(person, "consultant"))
    print(_t("added_agency", id=agency.id, name=agency.name, n=len(people)))


def _state_code(typed: str) -> str:
    """The state a person typed, by its Chinese or English name or its code."""
    from workflow.core.errors import InvalidInput
    from workflow.lifecycle.states import STATES, code_of, join_words

    code = code_of(typed, STATES, state_label)
    if code is None:
        known = join_words((state_label(s) for s in STATES), None)
        raise InvalidInput("lifecycle.unknown_state", state=typed, known=known)
    return code


@agency_app.command("list")
def agency_list(
    status: str | None = typer.Option(
        None,
        "--status",
        help="只列出此状态的机构，中文名称或代码，如 已备案 或 filed"
        " / only agencies in this state, by name or code, e.g. filed",
    ),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / JSON output"),
) -> None:
    """列出登记的机构 / list agencies."""
    from workflow.core.db import transaction
    from workflow.core.errors import NotFound
    from workflow.registry.display import agency_public_dict
    from workflow.registry.forms import label
    from workflow.registry.models import MATERIALS
    from workflow.registry.service import (
        consultants_of,
        current_application,
        list_agencies,
        missing_materials,
    )

    if status is not None:
        status = _state_code(status)
    with transaction(open_engine()) as session:
        rows = []
        for agency in list_agencies(session, status):
            assert agency.id is not None
            consultants = consultants_of(session, agency.id)
            try:
                missing = missing_materials(current_application(session, agency.id))
            except NotFound:
                missing = list(MATERIALS)
            rows.append((agency, consultants, missing))
    if as_json:
        print_json(
            [
                agency_public_dict(agency)
                | {
                    "consultants": len(consultants),
                    "senior_titles": sum(c.senior_title for c in consultants),
                    "missing_materials": missing,
                }
                for agency, consultants, missing in rows
            ]
        )
        return
    if not rows:
        print(_t("no_agencies"))
        return
    print_table(
        [
            _t("column.id"),
            label("agency", "name"),
            label("agency", "credit_code"),
            _t("column.status"),
            _t("column.consultants"),
            _t("column.seniors"),
            _t("column.missing"),
        ],
        [
            [
                agency.id,
                agency.name,
                agency.credit_code,
                state_label(agency.status),
                len(consultants),
                sum(c.senior_title for c in consultants),
                len(missing),
            ]
            for agency, consultants, missing in rows
        ],
    )


@agency_app.command("show")
def agency_show(
    ref: str = typer.Argument(..., help="机构编号或统一社会信用代码 / agency id or credit code"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / JSON output"),
) -> None:
    """显示机构登记信息、咨询人员、申报材料清单和第八条资格审查 / show an agency."""
    from workflow.core.db import transaction
    from workflow.registry.service import find_agency

    with transaction(open_engine(), read_only=True) as session:
        _show(session, find_agency(session, ref), as_json)


@agency_app.command("materials")
def agency_materials(
    ref: str = typer.Argument(..., help="机构编号或统一社会信用代码 / agency id or credit code"),
    items: list[str] = typer.Option(
        [],
        "--set",
        help="材料=是/否，例如 business_licence=是 或 工商营业执照复印件=否 / material=yes/no",
    ),
) -> None:
    """勾选第九条申报材料清单 / tick the Art. 9 materials checklist."""
    from workflow.core.db import transaction
    from workflow.registry.forms import FIELD_LABELS
    from workflow.registry.service import current_application, find_agency, set_materials
    from workflow.registry.values import read_yes_no

    names = {v: k for k, v in FIELD_LABELS["application"].items()}
    ticks: dict[str, bool] = {}
    for item in items:
        name, sep, value = item.partition("=")
        answer = read_yes_no(value) if sep else None
        if answer is None:
            raise InvalidInput("registry.cli.bad_set", item=item)
        ticks[names.get(name.strip(), name.strip())] = answer
    with transaction(open_engine()) as session:
        agency = find_agency(session, ref)
        assert agency.id is not None
        application = (
            set_materials(session, agency.id, ticks)
            if ticks
            else current_application(session, agency.id)
        )
    print(_t("heading", id=agency.id, name=agency.name, status=state_label(agency.status)))
    _checklist_lines(application)


@agency_app.command("scope")
def agency_scope(
    ref: str = typer.Argument(..., help="机构编号或统一社会信用代码 / agency id or credit code"),
    related: bool | None = typer.Option(
        None,
        "--related/--not-related",
        help="专家组认定：经营范围是否含相关咨询服务内容（不填则只显示系统提示） / "
        "experts' decision (omit to see the suggestion only)",
        show_default=False,
    ),
    reason: str | None = typer.Option(
        None, "--reason", help="认定理由（必填） / reason for the decision (required)"
    ),
) -> None:
    """第八条第二项：显示系统对经营范围的提示，由专家组确认或推翻 / Art. 8(2): the experts decide."""
    from workflow.core.db import transaction
    from workflow.registry.eligibility import check_eligibility
    from workflow.registry.judgements import record_scope, scope_suggestion
    from workflow.registry.service import find_agency

    with transaction(open_engine()) as session:
        agency = find_agency(session, ref)
        if related is not None:
            record_scope(session, agency.id or 0, _actor(), related, reason)
        condition = next(
            c for c in check_eligibility(session, agency).conditions if c.code == "business_scope"
        )
        suggested = bool(scope_suggestion(agency.business_scope))
    if related is not None:
        print(
            _t(
                "scope_judged",
                name=agency.name,
                judgement=_t("scope_related" if related else "scope_unrelated"),
                verdict=workflow_texts.text(
                    "registry.eligibility.business_scope."
                    + ("confirms" if related == suggested else "overrules")
                ),
            )
        )
    print(
        f"{'○' if related is None and not condition.passed else _MARK[condition.passed]} "
        f"{condition.title}：{condition.reason}"
    )


@agency_app.command("judge")
def agency_judge(
    ref: str = typer.Argument(..., help="机构编号或统一社会信用代码 / agency id or credit code"),
    familiar: bool = typer.Option(
        ...,
        "--familiar/--not-familiar",
        help="专家组判断：是否熟悉创建程序和评定标准、能否满足服务指导要求 / "
        "experts' judgement: familiar or not",
    ),
    reason: str | None = typer.Option(
        None, "--reason", help="判断理由（必填） / reason for the judgement (required)"
    ),
    fields: list[str] = typer.Option(
        [],
        "--field",
        help="只判断这些事项（可重复）：创建程序和评定标准、生产安全、应急管理、综合减灾、交通安全、"
        "消防安全、燃气安全、公共安全；不填则判断全部 / only these items (repeatable); default: all",
    ),
) -> None:
    """第八条第三项：记录专家组在材料审核或面试答辩时的判断 / Art. 8(3): record the experts' judgement."""
    from workflow.core.db import transaction
    from workflow.lifecycle.states import join_words
    from workflow.registry.judgements import (
        FAMILIAR_ITEMS,
        item_label,
        parse_items,
        record_familiarity,
        stage_label,
    )
    from workflow.registry.service import find_agency

    items = parse_items(fields)
    with transaction(open_engine()) as session:
        agency = find_agency(session, ref)
        rows = record_familiarity(session, agency.id or 0, _actor(), familiar, reason, items=items)
        eligibility = _eligibility_of(session, agency)
    names = (
        join_words((item_label(i) for i in items), None)
        if items != FAMILIAR_ITEMS
        else join_words((item_label(i) for i in FAMILIAR_ITEMS), None)
    )
    print(
        _t(
            "judged",
            stage=stage_label(rows[0].stage),
            name=agency.name,
            items=names,
            judgement=_t("familiar" if familiar else "not_familiar"),
        )
    )
    condition = next(c for c in eligibility.conditions if c.code == "familiar")
    print(
        f"{'○' if condition.pending else _MARK[condition.passed]} {condition.title}：{condition.reason}"
    )


def _actor() -> Any:
    from workflow.access.actors import Actor

    return Actor.cli(operator())


def _eligibility_of(session: Session, agency: Agency) -> Eligibility:
    from workflow.registry.eligibility import check_eligibility

    return check_eligibility(session, agency)


@agency_app.command("template")
def agency_template(
    file: Path = typer.Argument(..., help="要生成的 .xlsx 文件 / .xlsx file to write"),
    force: bool = typer.Option(False, "--force", help="覆盖已有文件 / overwrite an existing file"),
) -> None:
    """生成登记表模板（单位登记表 + 人员登记表），供机构离线填写 / write the spreadsheet template."""
    from workflow.registry.xlsx import write_template

    _write_new(file, force, write_template)
    print(_t("template_written", path=str(file)))


def _write_new(file: Path, force: bool, write: Callable[[Path], object]) -> None:
    """Write a template to `file`, refusing to overwrite one without `--force`."""
    if file.exists() and not force:
        raise InvalidInput("registry.cli.file_exists", path=str(file))
    try:
        write(file)
    except OSError as error:
        raise InvalidInput(
            "registry.cli.cannot_write", path=str(file), detail=error.strerror
        ) from None


@agency_app.command("import")
def agency_import(
    file: Path = typer.Argument(..., help="填好的 .xlsx 登记表 / filled registration workbook"),
) -> None:
    """导入填好的登记表：先检查全部行，有任何错误则不写入 / import a filled workbook."""
    from workflow.core.db import transaction
    from workflow.registry.xlsx import ImportErrors, import_workbook

    try:
        with transaction(open_engine()) as session:
            result = import_workbook(session, file)
    except ImportErrors as failed:
        for error in failed.errors:
            print(error, file=sys.stderr)
        raise
    print(
        _t(
            "imported",
            agencies=result.agencies,
            consultants=result.consultants,
            existing=result.existing_agencies,
        )
    )


@consultant_app.command("add")
@_with_form_options("consultant", CONSULTANT_OPTIONS)
def consultant_add(
    ref: str = typer.Argument(
        ..., help="所属机构编号或统一社会信用代码 / agency id or credit code"
    ),
    from_json: Path | None = typer.Option(
        None, "--from-json", help="UTF-8 JSON 文件：人员登记表各栏 / JSON file with the form fields"
    ),
    **values: str | None,
) -> None:
    """登记一名咨询人员（人员登记表） / add a consultant to an agency."""
    from workflow.core.db import transaction
    from workflow.registry.service import add_consultant, find_agency

    fields = _read_json(from_json, "consultant") if from_json else {}
    fields.update(_given(values))
    with transaction(open_engine()) as session:
        agency = find_agency(session, ref)
        assert agency.id is not None
        consultant: Consultant = add_consultant(session, agency.id, fields)
    print(_t("added_consultant", name=consultant.name, agency=agency.name))


_REF_HELP = "机构编号或统一社会信用代码 / agency id or credit code"
_REASON_HELP = "更正或移除的原因（必填，记入审计日志） / why (required, audited)"
_VALUE_HELP = '新值（留空 "" 即清空非必填栏目） / the new value ("" clears an optional field)'


def _rechecked(eligibility: Eligibility) -> None:
    print(_t("rechecked"))
    _eligibility_lines(eligibility)


@agency_app.command("set")
def agency_set(
    ref: str = typer.Argument(..., help=_REF_HELP),
    field: str = typer.Argument(
        ..., help="栏目：字段名或登记表上的名称，如 office_phone 或 办公电话 / field name or label"
    ),
    value: str = typer.Argument(..., help=_VALUE_HELP),
    reason: str | None = typer.Option(None, "--reason", help=_REASON_HELP),
) -> None:
    """更正机构登记信息的一个栏目（与登记时同样校验），记入审计日志并重新审查资格 / correct one field."""
    from workflow.core.db import transaction
    from workflow.lifecycle.audit import appended
    from workflow.registry.corrections import correct_agency

    engine = open_engine()
    with transaction(engine) as session:
        agency, change = correct_agency(session, ref, _actor(), field, value, reason)
        eligibility = _eligibility_of(session, agency)
        entries = appended(session)
    print(
        _t("corrected", whom=f"{agency.name} ", label=change.label, old=change.old, new=change.new)
    )
    _rechecked(eligibility)
    keep_register(engine, entries)


@consultant_app.command("set")
def consultant_set(
    ref: str = typer.Argument(..., help=_REF_HELP),
    consultant: str = typer.Argument(
        ..., help="咨询人员编号（见 agency show）或姓名 / consultant number or name"
    ),
    field: str = typer.Argument(
        ..., help="栏目：字段名或人员登记表上的名称，如 mobile 或 移动电话 / field name or label"
    ),
    value: str = typer.Argument(..., help=_VALUE_HELP),
    reason: str | None = typer.Option(None, "--reason", help=_REASON_HELP),
) -> None:
    """更正咨询人员登记信息的一个栏目，记入审计日志并重新审查资格 / correct one field of a consultant."""
    from workflow.core.db import transaction
    from workflow.lifecycle.audit import appended
    from workflow.registry.corrections import correct_consultant

    engine = open_engine()
    with transaction(engine) as session:
        agency, person, changes = correct_consultant(
            session, ref, consultant, _actor(), field, value, reason
        )
        eligibility = _eligibility_of(session, agency)
        entries = appended(session)
    whom = workflow_texts.text("registry.correct.whom", name=person.name, id=person.id)
    for change in changes:
        print(_t("corrected", whom=whom, label=change.label, old=change.old, new=change.new))
    _rechecked(eligibility)
    keep_register(engine, entries)


@consultant_app.command("remove")
def consultant_remove(
    ref: str = typer.Argument(..., help=_REF_HELP),
    consultant: str = typer.Argument(
        ..., help="咨询人员编号（见 agency show）或姓名 / consultant number or name"
    ),
    reason: str | None = typer.Option(None, "--reason", help=_REASON_HELP),
) -> None:
    """移除已离职的咨询人员（第十四条第三项所指人员变动），记入审计日志并重新审查资格 / remove a consultant."""
    from workflow.core.db import transaction
    from workflow.lifecycle.audit import appended
    from workflow.registry.corrections import remove_consultant

    engine = open_engine()
    with transaction(engine) as session:
        agency, name = remove_consultant(session, ref, consultant, _actor(), reason)
        eligibility = _eligibility_of(session, agency)
        entries = appended(session)
    print(_t("removed_consultant", name=name, agency=agency.name))
    _rechecked(eligibility)
    keep_register(engine, entries)


@agency_app.command("changes-template")
def agency_changes_template(
    file: Path = typer.Argument(..., help="要生成的 .xlsx 文件 / .xlsx file to write"),
    force: bool = typer.Option(False, "--force", help="覆盖已有文件 / overwrite an existing file"),
) -> None:
    """生成更正登记表模板（每行一处更正，示例行不导入） / write the changes template."""
    from workflow.registry.corrections import write_changes_template

    _write_new(file, force, write_changes_template)
    print(_t("template_written_changes", path=str(file)))


@agency_app.command("changes")
def agency_changes(
    file: Path = typer.Argument(..., help="填好的更正登记表 .xlsx / filled changes workbook"),
) -> None:
    """按更正登记表批量更正：先检查全部行，有任何错误则不写入，并重新审查资格 / import changes."""
    from workflow.core.db import transaction
    from workflow.lifecycle.audit import appended
    from workflow.registry.corrections import import_changes
    from workflow.registry.xlsx import ImportErrors

    if not file.exists():
        raise InvalidInput("registry.xlsx.no_file", path=str(file))
    engine = open_engine()
    try:
        with transaction(engine) as session:
            agencies = import_changes(session, file, _actor())
            entries = appended(session)
            checked = [(agency, _eligibility_of(session, agency)) for agency in agencies]
    except ImportErrors as failed:
        for error in failed.errors:
            print(error, file=sys.stderr)
        raise
    print(_t("changes_imported", n=len(entries), agencies=len(checked)))
    for agency, eligibility in checked:
        print(_t("heading", id=agency.id, name=agency.name, status=state_label(agency.status)))
        _rechecked(eligibility)
    keep_register(engine, entries)


@consultant_app.command("photo")
def consultant_photo(
    ref: str = typer.Argument(..., help=_REF_HELP),
    consultant: str = typer.Argument(
        ..., help="咨询人员编号（见 agency show）或姓名 / consultant number or name"
    ),
    file: Path = typer.Argument(..., help="JPEG 或 PNG 照片文件 / JPEG or PNG photo"),
    reason: str | None = typer.Option(None, "--reason", help=_REASON_HELP),
) -> None:
    """保存咨询人员照片（图片本身，按文件内容检查为 JPEG 或 PNG），记入审计日志 / store the photo."""
    from workflow.core.db import transaction
    from workflow.registry.corrections import set_photo

    try:
        data = file.read_bytes()
    except OSError as error:
        raise InvalidInput(
            "registry.cli.cannot_read", path=str(file), detail=error.strerror
        ) from None
    with transaction(open_engine()) as session:
        _, person, photo = set_photo(session, ref, consultant, _actor(), data, reason)
        whom = workflow_texts.text("registry.correct.whom", name=person.name, id=person.id)
        shown = workflow_texts.text(
            "registry.photo.shown", type=photo.media_type, kb=len(photo.data) // 1024
        )
    print(_t("photo_stored", whom=whom, shown=shown))


def register(app: typer.Typer) -> None:
    """Add this topic's commands to the app."""
    app.add_typer(agency_app, name="agency")
    app.add_typer(consultant_app, name="consultant")
