"""`safecomm assess …`, `exits …`, `results YEAR`, `objection …`, `campaign …`: the annual
assessment.

Experts enter score sheets line by line or import the filled official table;
an admin fills or confirms the questionnaire section, finalises each sheet
(which moves the agency to `assessed`), publishes the results (which opens
the 公示 period and exports the exit list), records and decides objections, and
confirms the exit proposals. AGENCY is an agency id or its exact name. Each command
is one unit of work: on any refusal nothing is saved.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import keep_register, open_engine, operator, print_table, settings
from bot.cli.numbers import ROW_ID, YEAR
from workflow.core.errors import InvalidInput, NotFound
from workflow.core.i18n import current_language, workflow_texts

if TYPE_CHECKING:
    from sqlmodel import Session

    from workflow.assessment.sheets import SheetView
    from workflow.registry.models import Agency

assess = typer.Typer(help="年度考核评分表 / annual assessment score sheets", no_args_is_help=True)
exits = typer.Typer(
    help="保留或取消优先推荐资格（第十四条） / priority-recommendation status (Art. 14)",
    no_args_is_help=True,
)
campaign = typer.Typer(help="年度考核活动日期 / yearly campaign dates", no_args_is_help=True)
bonus = typer.Typer(
    help="加分项（第十三条），按创建单位逐项登记 / bonus items (Art. 13), case by case",
    no_args_is_help=True,
)
assess.add_typer(bonus, name="bonus")

AgencyArg = Annotated[
    str, typer.Argument(help="机构编号、信用代码或全称 / agency id, credit code or exact name")
]
YearArg = Annotated[int, typer.Argument(help="考核年度 / assessment year", parser=YEAR)]


def _t(key: str, **params: object) -> str:
    return workflow_texts.text(key, None, **params)


def _agency(session: Session, ref: str) -> Agency:
    from workflow.registry.service import find_agency_named

    return find_agency_named(session, ref)


def _id(agency: Agency) -> int:
    assert agency.id is not None
    return agency.id


def _whole(text: str, code: str) -> int:
    """A whole number typed at the terminal, or the standard's refusal naming `code`."""
    from workflow.assessment.evaluation import parse_whole

    value = parse_whole(text)
    if value is None:
        key = "assessment.bonus_not_whole" if code.startswith("B") else "assessment.not_whole"
        raise InvalidInput(key, code=code, value=text)
    return value


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a file that cannot be written into one clear refusal instead of a traceback."""
    try:
        yield
    except OSError as error:
        raise InvalidInput(
            "assessment.cli.cannot_write", path=path, detail=error.strerror or error
        ) from None


def _summary(view: SheetView) -> str:
    evaluation = view.evaluation(settings())
    if evaluation is None:
        return _t("assessment.cli.incomplete", codes=", ".join(view.missing))
    return _t(
        "assessment.cli.summary",
        base=evaluation.base,
        bonus=evaluation.bonus,
        final=evaluation.final,
        grade=evaluation.grade_text(),
        result=evaluation.result_text(),
        reason=evaluation.reason(),
    )


@assess.command("enter")
def assess_enter(
    agency: AgencyArg,
    year: YearArg,
    code: Annotated[
        str,
        typer.Argument(
            help="指标编号 1.1–4.3 或加分项 B1–B4 / indicator 1.1–4.3 or bonus item B1–B4"
        ),
    ],
    points: Annotated[str | None, typer.Option(help="得分（整数） / points (whole number)")] = None,
    content: Annotated[
        bool | None,
        typer.Option(
            "--content/--no-content",
            help="有无此项内容，必填（无内容记 0 分） / content present, required (none: 0 points)",
        ),
    ] = None,
    evidence: Annotated[
        bool | None,
        typer.Option(
            "--evidence/--no-evidence",
            help="有无证据，必填（无证据最多得该项分值的一半） / evidence present, required"
            " (none: at most half the points)",
        ),
    ] = None,
    effect: Annotated[str, typer.Option(help="效果评价 / effect")] = "",
    note: Annotated[str, typer.Option(help="备注 / note")] = "",
    count: Annotated[
        str | None, typer.Option(help="加分项数量（B1–B4 必填） / bonus count (required for B1–B4)")
    ] = None,
    description: Annotated[str, typer.Option(help="加分项佐证说明 / bonus evidence")] = "",
) -> None:
    """录入评分表一项指标（内容、佐证、效果与得分）或一项加分 / record one indicator or bonus item."""
    from workflow.assessment.sheets import BonusInput, LineInput, enter_lines, set_bonus, sheet_view
    from workflow.assessment.standard import STANDARD
    from workflow.core.db import transaction

    code = code.strip().upper()
    if not code.startswith("B") and code not in STANDARD.questionnaire_codes:
        if content is None:  # 评分说明二: recorded explicitly, no default
            raise InvalidInput("assessment.cli.content_flag", code=code)
        if evidence is None:
            raise InvalidInput("assessment.cli.evidence_flag", code=code)
    with transaction(open_engine()) as session:
        row = _agency(session, agency)
        if code.startswith("B"):
            if count is None:
                raise InvalidInput("assessment.bonus_needs_count", code=code)
            entry = BonusInput(_whole(count, code), description)
            set_bonus(session, _id(row), year, {code: entry}, actor=operator())
        else:
            typed = None if points is None else _whole(points, code)
            line = LineInput(typed, content, evidence, effect, note)
            enter_lines(session, _id(row), year, {code: line}, actor=operator(), policy=settings())
        view = sheet_view(session, _id(row), year)
    print(_t("assessment.cli.saved", agency=row.name, year=year, code=code))
    print(_summary(view))


@assess.command("section")
def assess_section(
    agency: AgencyArg,
    year: YearArg,
    points: Annotated[
        list[str],
        typer.Argument(help="3.1 3.2 3.3 3.4 3.5 的得分（各 0–4） / points of 3.1–3.5 (0–4 each)"),
    ],
) -> None:
    """直接录入创建单位评价 3.1–3.5（问卷无答复时） / enter section 3.1–3.5 by hand."""
    from workflow.assessment.sheets import set_questionnaire_points, sheet_view
    from workflow.assessment.standard import STANDARD
    from workflow.core.db import transaction

    codes = STANDARD.questionnaire_codes
    if len(points) != len(codes):
        raise InvalidInput("assessment.section_needs_five", count=len(points))
    values = {code: _whole(text, code) for code, text in zip(codes, points, strict=True)}
    with transaction(open_engine()) as session:
        row = _agency(session, agency)
        set_questionnaire_points(session, _id(row), year, values, source="admin", actor=operator())
        view = sheet_view(session, _id(row), year)
    print(_t("assessment.cli.section_saved", agency=row.name, year=year))
    print(_summary(view))


def _yes_no(value: bool | None) -> str:
    return "" if value is None else _t(f"assessment.xlsx.{'yes' if value else 'no'}")


@assess.command("show")
def assess_show(agency: AgencyArg, year: YearArg) -> None:
    """显示评分表：各项指标、加分项与考核结果 / show a score sheet and its result."""
    from workflow.assessment.sheets import sheet_view
    from workflow.assessment.standard import STANDARD
    from workflow.core.clock import local_text
    from workflow.core.db import transaction

    with transaction(open_engine(), read_only=True) as session:
        row = _agency(session, agency)
        view = sheet_view(session, _id(row), year)
    state = (
        _t(
            "assessment.cli.finalised_state",
            by=view.sheet.finalised_by,
            at=local_text(view.sheet.finalised_at, settings().zone),
        )
        if view.sheet.finalised_at
        else _t("assessment.cli.draft_state")
    )
    print(f"{row.name}  {year}  {state}")
    names = ("code", "max", "content", "evidence", "points", "effect", "note")
    rows: list[list[object]] = []
    for indicator in STANDARD.indicators:
        line = view.lines.get(indicator.code)
        rows.append(
            [
                indicator.code,
                indicator.max,
                _yes_no(line.content_present) if line else "",
                _yes_no(line.evidence_present) if line else "",
                line.points if line else "—",
                line.effect if line else "",
                line.note if line else "",
            ]
        )
    for code, entry in view.bonus.items():
        legacy = _t("assessment.cli.bonus_legacy", count=entry.count)
        rows.append([code, "", legacy, "", "", "", entry.evidence])
    for award in view.awards:
        rows.append([award.code, "", award.title, "", "", "", award.evidence])
    print_table([_t(f"assessment.xlsx.col.{name}") for name in names], rows)
    if view.sheet.questionnaire_source:
        print(
            _t(
                f"assessment.cli.source_{view.sheet.questionnaire_source}",
                by=view.sheet.questionnaire_set_by,
            )
        )
    print(_summary(view))


@assess.command("finalise")
def assess_finalise(
    agency: AgencyArg,
    year: YearArg,
    force_reason: Annotated[
        str | None,
        typer.Option(
            help="问卷尚未截止时强制定稿的理由（记入审计日志） / reason to finalise before "
            "the questionnaire closes (audited)"
        ),
    ] = None,
) -> None:
    """评分表定稿（不再修改），机构转为“已考核”；问卷截止前须写明理由强制定稿 / finalise the
    sheet; the agency becomes `assessed` (before the questionnaire closes only with a reason)."""
    from workflow.access.actors import Actor
    from workflow.assessment.finalising import finalise
    from workflow.core.db import transaction

    config = settings()
    with transaction(open_engine()) as session:
        row = _agency(session, agency)
        actor = Actor.cli(operator())
        view, entry = finalise(session, _id(row), year, actor, config, force_reason=force_reason)
    print(_t("assessment.cli.finalised", agency=row.name, year=year))
    if force_reason is not None and entry.reason:
        print(_t("assessment.cli.forced", reason=entry.reason))
    print(_summary(view))


@assess.command("export")
def assess_export(
    agency: Annotated[
        str, typer.Argument(help="机构编号、信用代码或全称，或 all / agency, or all")
    ],
    year: YearArg,
    out: Annotated[Path, typer.Option(help="输出文件或目录 / output file or directory")] = Path(
        "."
    ),
) -> None:
    """导出考核评分表 xlsx（一家或 all；未评分则为空表） / export score sheets as xlsx."""
    from workflow.assessment.sheets import agencies_for_sheets
    from workflow.assessment.xlsx import export_sheet
    from workflow.core.db import transaction

    config = settings()
    if agency == "all":
        with _writing(out):
            out.mkdir(parents=True, exist_ok=True)
    with transaction(open_engine()) as session:
        agencies = (
            agencies_for_sheets(session, year) if agency == "all" else [_agency(session, agency)]
        )
        for row in agencies:
            target = out / f"assessment-{year}-{row.id}.xlsx" if out.is_dir() else out
            with _writing(target):
                export_sheet(session, _id(row), row.name, year, target, config, settings=config)
            print(_t("assessment.cli.exported", path=target))


@assess.command("import")
def assess_import(
    files: Annotated[
        list[Path], typer.Argument(help="填好的评分表 .xlsx / filled score sheets (.xlsx)")
    ],
) -> None:
    """导入填好的评分表：先检查全部文件，有任何错误则不写入 / import filled sheets, all or none."""
    from workflow.assessment.sheets import load_view
    from workflow.assessment.xlsx import read_sheet, save_filled
    from workflow.core.db import transaction

    checked, problems = [], []
    for path in files:
        try:
            if not path.is_file():
                raise NotFound("assessment.cli.no_file", path=path)
            checked.append((path, read_sheet(path, policy=settings())))
        except (InvalidInput, NotFound) as error:
            problems.append(_t("assessment.cli.file_problem", path=path, problem=error.message()))
    if problems:
        raise InvalidInput("assessment.cli.files_refused", problems="；".join(problems))
    with transaction(open_engine()) as session:
        imported = []
        for path, filled in checked:
            sheet = save_filled(session, filled, actor=operator(), policy=settings())
            imported.append((path, sheet, load_view(session, sheet)))
    for path, sheet, view in imported:
        print(_t("assessment.cli.imported", path=path, agency=sheet.agency_id, year=sheet.year))
        print(_summary(view))


@exits.command("propose")
def exits_propose(year: YearArg) -> None:
    """按第十四条列出各机构保留或取消优先推荐资格的建议（不作更改） / Art. 14 proposals for YEAR."""
    from workflow.assessment import exits as exit_rules
    from workflow.core.db import transaction
    from workflow.lifecycle.states import state_label

    config = settings()
    with transaction(open_engine(), read_only=True) as session:
        proposals = exit_rules.propose(session, year, config)
    names = ("agency", "final", "grade", "decision", "reason", "open")
    print_table(
        [_t(f"exits.col.{name}") for name in names],
        [
            [
                p.agency_name,
                _t("exits.not_assessed") if p.evaluation is None else p.evaluation.final,
                _t("exits.not_assessed") if p.evaluation is None else p.evaluation.grade_text(),
                _t(f"exits.decision.{p.decision}"),
                p.reason(),
                _t("exits.open") if p.open else _t("exits.done", status=state_label(p.status)),
            ]
            for p in proposals
        ],
    )


@exits.command("confirm")
def exits_confirm(
    agency: Annotated[
        str, typer.Argument(help="机构编号、信用代码或全称，或 all / agency, or all")
    ],
    year: YearArg,
) -> None:
    """执行第十四条建议：保留或取消优先推荐资格（记入审计日志，全部成功才保存） / confirm the Art. 14 proposals."""
    from sqlmodel import col, select

    from workflow.access.actors import Actor
    from workflow.assessment import exits as exit_rules
    from workflow.core.db import transaction
    from workflow.registry.models import Agency

    config = settings()
    engine = open_engine()
    with transaction(engine) as session:
        agency_id = None if agency == "all" else _id(_agency(session, agency))
        entries = exit_rules.confirm(session, year, Actor.cli(operator()), config, agency_id)
        ids = [entry.agency_id for entry in entries]
        names = dict(
            session.exec(select(Agency.id, Agency.name).where(col(Agency.id).in_(ids))).all()
        )
    for entry in entries:
        print(
            _t(
                "exits.confirmed",
                agency=names[entry.agency_id],
                trigger=entry.trigger,
                reason=entry.reason,
            )
        )
    print(_t("exits.count", count=len(entries)))
    keep_register(engine, entries)


def results(
    year: YearArg,
    out: Annotated[Path, typer.Option(help="输出目录 / output folder")] = Path("."),
) -> None:
    """年度考核结果排名，并导出 xlsx、csv 和 PNG 图表 / YEAR's ranked results, also as files."""
    from workflow.access.actors import Actor
    from workflow.assessment import publication
    from workflow.assessment import results as year_results
    from workflow.assessment.publicity import day_text
    from workflow.core.db import transaction
    from workflow.lifecycle.anchors import seal

    config = settings()
    with transaction(open_engine()) as session:
        rows = year_results.year_results(session, year, config)
        if rows:  # Art. 15: publishing opens the 公示 period (kept if already open)
            period, opened = publication.open_period(session, year, Actor.cli(operator()), config)
            exit_rows = publication.exit_list(session, year, config)
            anchor = seal(session).line(config.language)
    if not rows:
        print(_t("assessment.cli.no_results", year=year))
        return
    language = current_language()
    stem = out / f"results-{year}"
    exit_stem = out / publication.exit_list_stem(year, language)
    with _writing(out):
        out.mkdir(parents=True, exist_ok=True)
        year_results.write_xlsx(rows, year, stem.with_suffix(".xlsx"), language, anchor)
        year_results.write_csv(rows, stem.with_suffix(".csv"), language, anchor)
        year_results.write_chart(rows, year, stem.with_suffix(".png"), language)
        exits = exit_stem.with_suffix(".xlsx")
        publication.write_exit_xlsx(exit_rows, year, exits, language, anchor)
        publication.write_exit_csv(exit_rows, exit_stem.with_suffix(".csv"), language, anchor)
    print_table(year_results.headers(language), [row.cells(language) for row in rows])
    print(_t("objection.exit_list.count", count=len(exit_rows)))
    if exit_rows:
        print_table(publication.exit_headers(language), [row.cells(language) for row in exit_rows])
    dates = {"year": year, "starts": day_text(period.starts), "ends": day_text(period.ends)}
    print(_t("objection.period_line" if opened else "objection.period_kept", **dates))
    for path in (
        *(stem.with_suffix(suffix) for suffix in (".xlsx", ".csv", ".png")),
        exit_stem.with_suffix(".xlsx"),
        exit_stem.with_suffix(".csv"),
    ):
        print(_t("assessment.cli.exported", path=path))


objection = typer.Typer(
    help="考核结果公示期内的异议（第十五条） / objections during the publication period (Art. 15)",
    no_args_is_help=True,
)
ReasonOpt = Annotated[str, typer.Option("--reason", help="理由（必填） / reason (required)")]
ObjectionArg = Annotated[int, typer.Argument(help="异议编号 / objection number", parser=ROW_ID)]


@objection.command("add")
def objection_add(
    year: YearArg,
    agency: AgencyArg,
    reason: ReasonOpt = "",
    received: Annotated[
        str | None,
        typer.Option(help="收到异议的日期 YYYY-MM-DD（默认今天） / day received (default today)"),
    ] = None,
) -> None:
    """登记机构在公示期内提出的异议 / record an agency's objection during the period."""
    from workflow.access.actors import Actor
    from workflow.assessment import objections
    from workflow.assessment.publicity import day_text
    from workflow.core.db import transaction

    day = _date(received, "received")
    config = settings()
    with transaction(open_engine()) as session:
        row = _agency(session, agency)
        made = objections.record(
            session, _id(row), year, reason, Actor.cli(operator()), config, received_on=day
        )
    print(
        _t(
            "objection.recorded",
            id=made.id,
            agency=row.name,
            year=year,
            day=day_text(made.received_on),
        )
    )


def _decide(objection_id: int, outcome: str, reason: str) -> None:
    from workflow.access.actors import Actor
    from workflow.assessment import objections
    from workflow.core.db import transaction
    from workflow.registry.models import Agency

    config = settings()
    with transaction(open_engine()) as session:
        decided = objections.decide(
            session, objection_id, outcome, reason, Actor.cli(operator()), config
        )
        row = session.get(Agency, decided.agency_id)
        name = row.name if row is not None else str(decided.agency_id)
    print(
        _t(
            f"objection.{outcome}",
            id=decided.id,
            agency=name,
            agency_id=decided.agency_id,
            year=decided.year,
        )
    )


@objection.command("uphold")
def objection_uphold(objection_id: ObjectionArg, reason: ReasonOpt = "") -> None:
    """异议成立：重新打开该机构的考核评分表，重新评分后重新定稿 / uphold: reopen the sheet."""
    _decide(objection_id, "upheld", reason)


@objection.command("dismiss")
def objection_dismiss(objection_id: ObjectionArg, reason: ReasonOpt = "") -> None:
    """异议不成立：结果不变，写明理由 / dismiss, with reasons; the result stands."""
    _decide(objection_id, "dismissed", reason)


@objection.command("list")
def objection_list(year: YearArg) -> None:
    """列出该年度登记的异议及处理结果 / the year's objections and their outcomes."""
    from workflow.assessment import objections
    from workflow.assessment.publicity import day_text
    from workflow.core.clock import local_text
    from workflow.core.db import transaction

    config = settings()
    with transaction(open_engine(), read_only=True) as session:
        found = objections.for_year(session, year)
    if not found:
        print(_t("objection.none", year=year))
        return
    names = ("id", "agency", "received", "reason", "status", "decision", "decided")
    print_table(
        [_t(f"objection.col.{name}") for name in names],
        [
            [
                o.id,
                agency_name,
                day_text(o.received_on),
                o.reason,
                _t(f"objection.status.{o.status}"),
                o.decision_reason,
                f"{o.decided_by} {local_text(o.decided_at, config.zone)}" if o.decided_at else "",
            ]
            for o, agency_name in found
        ],
    )


def _date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("campaign.bad_date", name=name, value=text) from None


@campaign.command("show")
def campaign_show(year: YearArg) -> None:
    """显示年度考核活动日期（未设置则用默认值） / show YEAR's campaign dates."""
    from workflow.community.campaigns import DATE_FIELDS, campaign_for
    from workflow.core.db import transaction

    config = settings()
    with transaction(open_engine(), read_only=True) as session:
        current = campaign_for(session, year, config)
    _print_campaign(current.year, {name: getattr(current, name) for name in DATE_FIELDS})


def _print_campaign(year: int, dates: dict[str, date]) -> None:
    from workflow.community.campaigns import closes_at
    from workflow.core.clock import local_text

    config = settings()
    print(_t("campaign.cli.title", year=year, zone=config.timezone))
    print_table(
        [_t("campaign.cli.what"), _t("campaign.cli.date"), _t("campaign.cli.closes_at")],
        [
            [
                _t(f"campaign.field.{name}"),
                day.isoformat(),
                local_text(closes_at(day, config), config.zone),
            ]
            for name, day in dates.items()
        ],
    )


@campaign.command("set")
def campaign_set(
    year: YearArg,
    opens: Annotated[str | None, typer.Option(help="考核开始日期 YYYY-MM-DD / opens")] = None,
    report_due: Annotated[
        str | None, typer.Option(help="工作报告截止日期 YYYY-MM-DD / report due")
    ] = None,
    questionnaire_closes: Annotated[
        str | None, typer.Option(help="问卷截止日期 YYYY-MM-DD / questionnaire closes")
    ] = None,
    results_published: Annotated[
        str | None, typer.Option(help="结果公布日期 YYYY-MM-DD / results published")
    ] = None,
) -> None:
    """按文促会当年通知设置日期（当年1月1日至次年3月31日），未填的不变 / set YEAR's dates
    from the notice (1 Jan YEAR to 31 Mar YEAR+1); others unchanged."""
    from workflow.community.campaigns import DATE_FIELDS, set_campaign_dates
    from workflow.core.db import transaction

    typed = {
        "opens": opens,
        "report_due": report_due,
        "questionnaire_closes": questionnaire_closes,
        "results_published": results_published,
    }
    dates = {name: _date(text, name) for name, text in typed.items()}
    config = settings()
    with transaction(open_engine()) as session:
        current = set_campaign_dates(session, year, config, **dates)
    _print_campaign(current.year, {name: getattr(current, name) for name in DATE_FIELDS})


def register(app: typer.Typer) -> None:
    """Add this topic's commands to the app."""
    app.add_typer(assess, name="assess")
    app.add_typer(exits, name="exits")
    app.add_typer(campaign, name="campaign")
    app.command("results")(results)
    app.add_typer(objection, name="objection")


@bonus.command("add")
def bonus_add(
    agency: AgencyArg,
    year: Annotated[
        int, typer.Argument(help="称号授予的年度 / the year it was conferred", parser=YEAR)
    ],
    code: Annotated[str, typer.Argument(help="加分项 B1–B4 / bonus item B1–B4")],
    title: Annotated[
        str,
        typer.Option(
            help="B1/B2 称号，B3 教育基地名称，B4 项目名称 / B1/B2 title, B3 base, B4 project"
        ),
    ],
    evidence: Annotated[str, typer.Option(help="佐证说明，必填 / evidence, required")],
    unit: Annotated[
        str | None,
        typer.Option(help="创建单位编号或名称（B1–B3 必填） / creation unit (required for B1–B3)"),
    ] = None,
) -> None:
    """登记一项加分（同一创建单位的同一称号只计一次） / record one bonus case (counted once)."""
    from workflow.assessment.bonus import AwardInput, add_award
    from workflow.assessment.sheets import sheet_view
    from workflow.community.units import find_unit
    from workflow.core.db import transaction

    with transaction(open_engine()) as session:
        row = _agency(session, agency)
        found = find_unit(session, unit) if unit is not None else None
        given = AwardInput(code, found.id if found else None, title, evidence)
        award = add_award(session, _id(row), year, given, actor=operator())
        view = sheet_view(session, _id(row), year)
    print(
        _t(
            "assessment.cli.bonus_added",
            code=award.code,
            award=award.id,
            unit=found.name if found else "",
            title=award.title,
            agency=row.name,
            year=year,
        )
    )
    print(_summary(view))


@bonus.command("list")
def bonus_list(agency: AgencyArg, year: YearArg) -> None:
    """列出一个机构一年的加分记录 / list an agency's bonus records for a year."""
    from workflow.assessment.bonus import awards_of
    from workflow.assessment.sheets import find_sheet, load_view
    from workflow.core.db import transaction

    with transaction(open_engine(), read_only=True) as session:
        row = _agency(session, agency)
        sheet = find_sheet(session, _id(row), year)
        awards = awards_of(session, sheet.id) if sheet and sheet.id else []
        legacy = load_view(session, sheet).bonus if sheet else {}
    if not awards and not legacy:
        print(_t("assessment.cli.no_bonus", agency=row.name, year=year))
        return
    names = ("award", "code", "unit", "title", "evidence", "entered_by")
    rows: list[list[object]] = [
        [
            award.id,
            award.code,
            found.name if found else "",
            award.title,
            award.evidence,
            award.entered_by,
        ]
        for award, found in awards
    ]
    rows += [
        [
            "",
            code,
            "",
            _t("assessment.cli.bonus_legacy", count=entry.count),
            entry.evidence,
            entry.entered_by,
        ]
        for code, entry in legacy.items()
    ]
    print_table([_t(f"assessment.cli.bonus_col.{name}") for name in names], rows)


@bonus.command("remove")
def bonus_remove(
    award: Annotated[int, typer.Argument(help="加分记录编号 / bonus record number", parser=ROW_ID)],
) -> None:
    """删除误登记的加分记录（评分表未定稿时） / remove a bonus record entered by mistake."""
    from workflow.assessment.bonus import remove_award
    from workflow.core.db import transaction

    with transaction(open_engine()) as session:
        remove_award(session, award, actor=operator())
    print(_t("assessment.cli.bonus_removed", award=award))
