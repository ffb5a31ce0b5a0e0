"""Guidance at the terminal: which agency guides which unit, and the work it does (Art. 11).

safecomm guidance add UNIT AGENCY YEAR [--programme 两者] [--start 2026-03-01]
safecomm guidance records YEAR [--agency REF]       guidance records with programme and start
safecomm guidance record AGENCY UNIT KIND DATE [--topic] [--programme] [--title]
    [--description] [--attendance] [--detail 居民=3 …] [--file PATH …]   (recorded on the agency's behalf)
safecomm guidance list AGENCY YEAR [--unit UNIT]
safecomm guidance edit ID [--kind] [--date] [--topic] … [--reason]
safecomm guidance delete ID --reason …
safecomm guidance attach ID FILE …
safecomm guidance detach FILE_ID --reason …
safecomm guidance status YEAR [AGENCY] [--xlsx FILE]
safecomm guidance template FILE.xlsx                 the 指导工作 sheet
safecomm guidance import FILE.xlsx [--files DIR]     指导工作 (activities) or 指导记录 (records)

AGENCY is a number, credit code or full name; UNIT a number or name; kinds, topics and
programmes by Chinese name or code. Every rule is in `workflow.guidance`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import open_engine, operator, print_table, settings
from bot.cli.numbers import ROW_ID, YEAR
from bot.texts import bot_texts

if TYPE_CHECKING:
    from workflow.guidance.models import GuidanceActivity

guidance_app = typer.Typer(
    help="指导记录与指导工作（第十一条） / guidance records and guidance work (Art. 11)",
    no_args_is_help=True,
)

_AGENCY = "机构编号、统一社会信用代码或全称 / agency number, credit code or full name"
_UNIT = "创建单位编号或名称 / creation unit number or name"


def _t(key: str, **params: object) -> str:
    return bot_texts.text(f"guidance_cli.{key}", settings().language, **params)


def _details(pairs: list[str]) -> dict[str, str]:
    """`--detail 居民=3` pairs as a mapping (keys resolved by the domain)."""
    from workflow.core.errors import InvalidInput

    found: dict[str, str] = {}
    for pair in pairs:
        name, sign, value = pair.partition("=")
        if not sign or not name.strip():
            raise InvalidInput("guidance_sheet.bad_pair", pair=pair)
        found[name.strip()] = value.strip()
    return found


def _start(day: date | None) -> str:
    return day.isoformat() if day else _t("from_january")


# ---------------------------------------------------------------------------
# guidance records: which agency guides which unit
# ---------------------------------------------------------------------------


@guidance_app.command("add")
def guidance_add(
    unit: Annotated[str, typer.Argument(help=_UNIT)],
    agency: Annotated[str, typer.Argument(help=_AGENCY)],
    year: Annotated[int, typer.Argument(help="指导年度 / year of guidance", parser=YEAR)],
    programme: Annotated[
        str,
        typer.Option(
            help="安全社区、综合减灾示范社区或两者；不填为该单位参加的创建 / programme(s); default the unit's"
        ),
    ] = "",
    start: Annotated[
        str, typer.Option(help="指导开始日期，不填为1月1日 / first day of guidance")
    ] = "",
) -> None:
    """登记指导记录：某机构某年度按何种创建指导某创建单位 / record that an agency guides a unit."""
    from workflow.community import units
    from workflow.core.db import transaction
    from workflow.registry.service import find_agency_named

    with transaction(open_engine()) as session:
        found_unit = units.find_unit(session, unit)
        found_agency = find_agency_named(session, agency)
        record = units.add_guidance(
            session, found_unit, found_agency, year, programmes=programme, started_on=start
        )
        print(
            _t(
                "added",
                agency=found_agency.name,
                year=year,
                district=found_unit.district,
                unit=found_unit.name,
                programmes=_programmes(record),
                start=_start(record.started_on),
            )
        )


def _programmes(record: object) -> str:
    from workflow.guidance import kinds

    return "、".join(
        kinds.programme_label(p, settings().language)
        for p in kinds.PROGRAMMES
        if getattr(record, p)
    )


@guidance_app.command("records")
def guidance_records(
    year: Annotated[int, typer.Argument(help="指导年度 / year of guidance", parser=YEAR)],
    agency: Annotated[str | None, typer.Option(help=_AGENCY)] = None,
) -> None:
    """列出一年的指导记录：机构、创建单位、创建类型、指导开始日期 / list a year's guidance records."""
    from workflow.community import units
    from workflow.core.db import transaction
    from workflow.registry.service import find_agency_named

    with transaction(open_engine(), read_only=True) as session:
        agency_id = find_agency_named(session, agency).id if agency else None
        rows = [
            [a.name, u.district, u.name, _programmes(g), _start(g.started_on)]
            for g, u, a in units.guidance_for(session, year)
            if agency_id is None or a.id == agency_id
        ]
    if not rows:
        print(_t("records.none", year=year))
        return
    print_table(_t("records.header").split(","), rows)


# ---------------------------------------------------------------------------
# guidance work: activities and their files
# ---------------------------------------------------------------------------


@guidance_app.command("record")
def guidance_record(
    agency: Annotated[str, typer.Argument(help=_AGENCY)],
    unit: Annotated[str, typer.Argument(help=_UNIT)],
    kind: Annotated[str, typer.Argument(help="工作类型，如 培训、启动会、促进项目 / kind")],
    held_on: Annotated[str, typer.Argument(metavar="DATE", help="日期 YYYY-MM-DD / date")],
    topic: Annotated[str, typer.Option(help="主题（培训、方案计划、宣传教育） / topic")] = "",
    programme: Annotated[str, typer.Option(help="创建类型 / programme")] = "",
    title: Annotated[str, typer.Option(help="名称 / title")] = "",
    description: Annotated[str, typer.Option(help="说明 / description")] = "",
    attendance: Annotated[str, typer.Option(help="参加人数 / people present")] = "",
    detail: Annotated[
        list[str] | None,
        typer.Option(help="详情，如 居民=3、走访点位=12、项目领域=消防 (repeatable)"),
    ] = None,
    file: Annotated[
        list[Path] | None, typer.Option(help="佐证文件（可写多次） / evidence file (repeatable)")
    ] = None,
) -> None:
    """代机构记录一项指导工作（标明为代录），可同时附佐证文件 / record work on the agency's behalf."""
    from workflow.access.actors import Actor
    from workflow.community import units
    from workflow.core.db import transaction
    from workflow.guidance import activities, kinds, spreadsheet
    from workflow.registry.service import find_agency_named

    code = kinds.parse_kind(kind)
    given = activities.parse_fields(
        code,
        held_on,
        topic=topic,
        programme=programme,
        title=title,
        description=description,
        attendance=attendance,
        details=spreadsheet.parse_details(code, _details(detail or [])),
    )
    engine, config = open_engine(), settings()
    with transaction(engine, read_only=True) as session:
        found_agency = find_agency_named(session, agency)
        found_unit = units.find_unit(session, unit)
    assert found_agency.id is not None and found_unit.id is not None
    activity_id = spreadsheet.record_with_files(
        engine,
        found_agency.id,
        found_unit.id,
        given.held_on.year,
        given,
        file or [],
        Actor.cli(operator()),
        config,
    )
    print(
        _t(
            "recorded",
            id=activity_id,
            agency=found_agency.name,
            unit=found_unit.name,
            what=_what(code, given.topic),
            day=given.held_on.isoformat(),
            files=len(file or []),
        )
    )


def _what(kind: str, topic: str) -> str:
    from workflow.guidance import kinds

    return kinds.described(kind, topic, settings().language)


def _row(activity: GuidanceActivity, unit: str, files: int) -> list[object]:
    from workflow.guidance import kinds
    from workflow.guidance.spreadsheet import details_text

    language = settings().language
    return [
        activity.id,
        unit,
        activity.held_on.isoformat(),
        _what(activity.kind, activity.topic),
        kinds.programme_label(activity.programme, language) if activity.programme else "",
        activity.title or activity.description,
        details_text(activity.kind, activity.details, language),
        "" if activity.attendance is None else activity.attendance,
        files,
        _t("on_behalf") if activity.on_behalf else _t("by_agency"),
    ]


@guidance_app.command("list")
def guidance_list(
    agency: Annotated[str, typer.Argument(help=_AGENCY)],
    year: Annotated[int, typer.Argument(help="考核年度 / assessment year", parser=YEAR)],
    unit: Annotated[str | None, typer.Option(help=_UNIT)] = None,
) -> None:
    """列出机构一年的指导工作及佐证文件 / list an agency's guidance work of a year and its files."""
    from collections import Counter

    from workflow.community import units
    from workflow.community.models import CreationUnit
    from workflow.core.db import transaction
    from workflow.guidance import activities, evidence
    from workflow.registry.service import find_agency_named

    with transaction(open_engine(), read_only=True) as session:
        found = find_agency_named(session, agency)
        assert found.id is not None
        unit_id = units.find_unit(session, unit).id if unit else None
        rows = activities.activities_of(session, found.id, year, unit_id=unit_id)
        files = evidence.files_of(session, found.id, year)
        per_activity = Counter(f.activity_id for f in files)
        names = {
            u.id: u.name
            for u in (session.get(CreationUnit, i) for i in {a.unit_id for a in rows})
            if u is not None
        }
        table = [_row(a, names.get(a.unit_id, ""), per_activity[a.id or 0]) for a in rows]
        listed = {a.id for a in rows}
        file_rows = [
            [f.id, f.activity_id, f.original_name, f"{-(-f.size // 1024)} KB", f.sha256[:12]]
            for f in files
            if f.activity_id in listed
        ]
    if not table:
        print(_t("list.none", agency=found.name, year=year))
        return
    print(_t("list.title", agency=found.name, year=year, n=len(table)))
    print_table(_t("list.header").split(","), table)
    if file_rows:
        print()
        print_table(_t("files.header").split(","), file_rows)


@guidance_app.command("edit")
def guidance_edit(
    activity_id: Annotated[
        int, typer.Argument(metavar="ID", help="记录编号 / activity number", parser=ROW_ID)
    ],
    kind: Annotated[str | None, typer.Option(help="工作类型 / kind")] = None,
    held_on: Annotated[str | None, typer.Option("--date", help="日期 / date")] = None,
    topic: Annotated[str | None, typer.Option(help="主题 / topic")] = None,
    programme: Annotated[str | None, typer.Option(help="创建类型 / programme")] = None,
    title: Annotated[str | None, typer.Option(help="名称 / title")] = None,
    description: Annotated[str | None, typer.Option(help="说明 / description")] = None,
    attendance: Annotated[str | None, typer.Option(help="参加人数 / people present")] = None,
    detail: Annotated[list[str] | None, typer.Option(help="详情，如 居民=3 (repeatable)")] = None,
    reason: Annotated[str, typer.Option(help="修改原因 / why")] = "",
) -> None:
    """修改一项指导工作（只改写明的栏目） / change an activity (only the fields given)."""
    from workflow.access.actors import Actor
    from workflow.core.db import transaction
    from workflow.guidance import activities, kinds, spreadsheet

    config = settings()
    with transaction(open_engine()) as session:
        stored = activities.find_activity(session, activity_id)
        code = kinds.parse_kind(kind) if kind is not None else stored.kind
        same_kind = code == stored.kind
        details = (dict(stored.details) if same_kind else {}) | spreadsheet.parse_details(
            code, _details(detail or [])
        )
        given = activities.parse_fields(
            code,
            held_on if held_on is not None else stored.held_on,
            topic=topic if topic is not None else (stored.topic if same_kind else ""),
            programme=programme if programme is not None else stored.programme,
            title=title if title is not None else stored.title,
            description=description if description is not None else stored.description,
            attendance=attendance
            if attendance is not None
            else (stored.attendance if code in kinds.WITH_ATTENDANCE else None),
            details=details,
        )
        changed = activities.edit_activity(
            session,
            activity_id,
            given,
            Actor.cli(operator()),
            config,
            revision=stored.revision,
            reason=reason,
        )
        print(
            _t(
                "edited",
                id=activity_id,
                what=_what(changed.kind, changed.topic),
                day=changed.held_on,
            )
        )


@guidance_app.command("delete")
def guidance_delete(
    activity_id: Annotated[
        int, typer.Argument(metavar="ID", help="记录编号 / activity number", parser=ROW_ID)
    ],
    reason: Annotated[str, typer.Option(help="删除原因（必填） / why (required)")],
) -> None:
    """删除一项指导工作及其佐证文件 / delete an activity and its files."""
    from workflow.access.actors import Actor
    from workflow.core.db import transaction
    from workflow.core.errors import InvalidInput
    from workflow.guidance import activities

    if not reason.strip():
        raise InvalidInput("guidance_sheet.reason_needed")
    with transaction(open_engine()) as session:
        paths = activities.delete_activity(
            session, activity_id, Actor.cli(operator()), settings(), reason=reason
        )
    for path in paths:  # after the commit: a rolled-back delete keeps its files
        Path(path).unlink(missing_ok=True)
    print(_t("deleted", id=activity_id, files=len(paths)))


@guidance_app.command("attach")
def guidance_attach(
    activity_id: Annotated[
        int, typer.Argument(metavar="ID", help="记录编号 / activity number", parser=ROW_ID)
    ],
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="佐证文件 / files")],
) -> None:
    """为一项指导工作附佐证文件（全部成功或全部不附） / attach files to an activity, all or none."""
    from workflow.access.actors import Actor
    from workflow.guidance import spreadsheet

    count = spreadsheet.attach_files(
        open_engine(), activity_id, files, Actor.cli(operator()), settings()
    )
    print(_t("attached", id=activity_id, files=count))


@guidance_app.command("detach")
def guidance_detach(
    file_id: Annotated[
        int, typer.Argument(metavar="FILE_ID", help="文件编号 / file number", parser=ROW_ID)
    ],
    reason: Annotated[str, typer.Option(help="删除原因（必填） / why (required)")],
) -> None:
    """删除一个佐证文件 / remove an evidence file."""
    from workflow.access.actors import Actor
    from workflow.core.db import transaction
    from workflow.core.errors import InvalidInput
    from workflow.guidance import evidence

    if not reason.strip():
        raise InvalidInput("guidance_sheet.reason_needed")
    with transaction(open_engine()) as session:
        path = evidence.remove_evidence(
            session, file_id, Actor.cli(operator()), settings(), reason=reason
        )
    Path(path).unlink(missing_ok=True)
    print(_t("detached", id=file_id))


@guidance_app.command("status")
def guidance_status(
    year: Annotated[int, typer.Argument(help="考核年度 / assessment year", parser=YEAR)],
    agency: Annotated[str | None, typer.Argument(help=_AGENCY)] = None,
    xlsx: Annotated[
        Path | None, typer.Option(help="同时导出 .xlsx / also write an .xlsx file")
    ] = None,
) -> None:
    """各机构各创建单位的指导工作与第十一条要求对照，列出未达要求之处 / counts against the minimums."""
    from workflow.core.clock import local_date, utcnow
    from workflow.core.db import transaction
    from workflow.guidance import spreadsheet
    from workflow.registry.service import find_agency_named

    config = settings()
    today = local_date(utcnow(), config.zone)
    with transaction(open_engine(), read_only=True) as session:
        agencies = (
            [find_agency_named(session, agency)]
            if agency
            else spreadsheet.guiding_agencies(session, year)
        )
        rows = spreadsheet.status_rows(session, year, agencies, today, config, config.language)
    if not rows:
        print(_t("status.none", year=year))
        return
    print(_t("status.title", year=year, day=today.isoformat()))
    print_table(spreadsheet.status_headers(config.language), rows)
    if xlsx is not None:
        spreadsheet.write_status(xlsx, year, rows, config.language)
        print(_t("status.written", path=xlsx))


@guidance_app.command("template")
def guidance_template(
    path: Annotated[Path, typer.Argument(help="要生成的 .xlsx 文件 / .xlsx file to write")],
) -> None:
    """生成指导工作导入模板（一行一项工作） / write the template for `guidance import`."""
    from workflow.guidance import spreadsheet

    print(_t("template.written", path=spreadsheet.write_template(path)))


@guidance_app.command("import")
def guidance_import(
    path: Annotated[
        Path,
        typer.Argument(
            help=".xlsx：工作表“指导工作”（指导工作）或“指导记录”（指导关系） / activities or guidance records"
        ),
    ],
    files: Annotated[
        Path | None,
        typer.Option(help="佐证文件所在文件夹 / folder of the files named in 佐证文件"),
    ] = None,
) -> None:
    """导入指导工作（或指导记录）：先检查全部行，有任何错误则不写入 / import all rows or none."""
    from workflow.access.actors import Actor
    from workflow.community import units
    from workflow.core.db import transaction
    from workflow.guidance import spreadsheet

    if spreadsheet.is_activity_sheet(path):
        rows = spreadsheet.read_activities(path)
        report = spreadsheet.import_activities(
            open_engine(), rows, files, Actor.cli(operator()), settings()
        )
        print(_t("imported", activities=report.activities, files=report.files))
        return
    rows = units.read_rows(
        path, units.GUIDANCE_SHEET, units.GUIDANCE_COLUMNS, units.GUIDANCE_OPTIONAL
    )
    with transaction(open_engine()) as session:
        result = units.import_guidance(session, rows)
    print(
        bot_texts.text(
            "cli.import.done",
            settings().language,
            added=len(result.added),
            unchanged=len(result.unchanged),
        )
    )


def register(app: typer.Typer) -> None:
    """Add this topic's commands to the app."""
    app.add_typer(guidance_app, name="guidance")
