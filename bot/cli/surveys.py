"""Creation units, guidance records and questionnaire invitations, at the terminal.

safecomm unit add NAME --district 朝阳区 [--safe-community] [--disaster-reduction]
safecomm unit list [--year Y] [--agency REF] [--json]
safecomm unit template FILE.xlsx          both sheets: 创建单位, 指导记录
safecomm unit import FILE.xlsx            all rows or none
(safecomm guidance …: bot/cli/guidance.py)
safecomm invite YEAR [--out DIR]          issue missing invitations; sheet + QR codes
safecomm invite show UNIT AGENCY YEAR [--json]
safecomm invite rebind UNIT AGENCY YEAR [--user TELEGRAM_ID]
safecomm survey status YEAR [--xlsx FILE] [--json]
safecomm survey fill YEAR                 questionnaire points into the score sheets
safecomm survey enter UNIT AGENCY YEAR --channel forum|paper|phone --answers 4,3,4,4,3
safecomm forum add YEAR --date D --unit U [--unit U2 …] [--notes …] [--minutes FILE]
safecomm forum list YEAR
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from bot.cli.common import open_engine, operator, print_json, print_table, settings
from bot.cli.numbers import TELEGRAM_USER, YEAR
from bot.texts import bot_texts

if TYPE_CHECKING:
    from sqlmodel import Session

    from surveys.models import Invitation
    from workflow.community.models import CreationUnit
    from workflow.registry.models import Agency


def _t(key: str, **params: object) -> str:
    return bot_texts.text(f"cli.{key}", settings().language, **params)


def col(key: str) -> str:
    """A column heading, shared with the xlsx exports."""
    from surveys.errors import survey_texts

    return survey_texts.text(f"survey.col.{key}", settings().language)


def _programmes(unit: CreationUnit) -> str:
    names = [_t("unit.safe")] * unit.safe_community + [
        _t("unit.disaster")
    ] * unit.disaster_reduction
    return bot_texts.text("reminder.separator", settings().language).join(names)


# ---------------------------------------------------------------------------
# safecomm unit …
# ---------------------------------------------------------------------------

unit_app = typer.Typer(help="创建单位 / creation units (communities)", no_args_is_help=True)


@unit_app.command("add")
def unit_add(
    name: Annotated[str, typer.Argument(help="创建单位名称 / creation unit name")],
    district: Annotated[str, typer.Option(help="所在区，如 朝阳区 / Beijing district")],
    safe_community: Annotated[
        bool, typer.Option(help="参加安全社区创建 / safe-community programme")
    ] = False,
    disaster_reduction: Annotated[
        bool, typer.Option(help="参加综合减灾示范社区创建 / disaster-reduction programme")
    ] = False,
) -> None:
    """登记一个创建单位（至少参加一项创建） / register a creation unit (at least one programme)."""
    from workflow.community import units
    from workflow.core.db import transaction

    with transaction(open_engine()) as session:
        unit = units.add_unit(
            session,
            name,
            district,
            safe_community=safe_community,
            disaster_reduction=disaster_reduction,
        )
    print(
        _t(
            "unit.added",
            id=unit.id,
            district=unit.district,
            name=unit.name,
            programmes=_programmes(unit),
        )
    )


@unit_app.command("list")
def unit_list(
    year: Annotated[
        int | None,
        typer.Option(
            help="只列出该年度有指导记录的单位 / only units guided in this year", parser=YEAR
        ),
    ] = None,
    agency: Annotated[
        str | None,
        typer.Option(
            help="只列出该机构指导的单位（编号或信用代码） / only units guided by this agency"
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / JSON output")] = False,
) -> None:
    """列出创建单位，可按指导年度和/或机构筛选 / list creation units."""
    from workflow.community import units
    from workflow.core.db import transaction
    from workflow.registry.service import find_agency

    with transaction(open_engine(), read_only=True) as session:
        agency_id = find_agency(session, agency).id if agency else None
        found = units.list_units(session, year=year, agency_id=agency_id)
    if as_json:
        print_json([unit.model_dump() for unit in found])
    elif not found:
        print(_t("unit.none"))
    else:
        mark = {True: "✓", False: ""}
        rows = [
            [u.id, u.district, u.name, mark[u.safe_community], mark[u.disaster_reduction]]
            for u in found
        ]
        print_table(_t("unit.header").split(","), rows)


@unit_app.command("template")
def unit_template(
    path: Annotated[Path, typer.Argument(help="要生成的 .xlsx 文件 / .xlsx file to write")],
) -> None:
    """生成创建单位与指导记录导入模板 .xlsx / write the template for `unit import` and `guidance import`."""
    from workflow.community import units

    print(_t("template.written", path=units.write_template(path)))


@unit_app.command("import")
def unit_import(
    path: Annotated[
        Path, typer.Argument(help=".xlsx，工作表“创建单位” / .xlsx with sheet 创建单位")
    ],
) -> None:
    """导入创建单位：先检查全部行，有任何错误则不写入 / import creation units, all rows or none."""
    from workflow.community import units
    from workflow.core.db import transaction

    rows = units.read_rows(path, units.UNIT_SHEET, units.UNIT_COLUMNS)
    with transaction(open_engine()) as session:
        result = units.import_units(session, rows)
    print(_t("import.done", added=len(result.added), unchanged=len(result.unchanged)))


# ---------------------------------------------------------------------------
# safecomm invite …
# ---------------------------------------------------------------------------


class IssueByDefault(TyperGroup):
    """`safecomm invite 2026` means `safecomm invite issue 2026`; `show`/`rebind` stay commands."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["issue", *args]
        return super().parse_args(ctx, args)


invite_app = typer.Typer(
    cls=IssueByDefault,
    help="问卷邀请（链接与二维码）/ questionnaire invitations: safecomm invite issue YEAR",
    no_args_is_help=True,
)


@invite_app.command("issue")
def invite_issue(
    year: Annotated[int, typer.Argument(help="考核年度 / assessment year", parser=YEAR)],
    out: Annotated[
        Path, typer.Option(help="邀请表和二维码的输出目录 / folder for the sheet and QR codes")
    ] = Path("."),
) -> None:
    """发出该年度尚缺的问卷邀请，导出邀请表（单位、机构、链接）和二维码 / issue invitations, export links and QR codes."""
    from surveys.invitations import export_invitations, invitations_of, issue_invitations
    from workflow.core.db import transaction

    config, engine = settings(), open_engine()
    with transaction(engine) as session:
        new = issue_invitations(session, year)
        total = len(invitations_of(session, year))
    if total == 0:
        print(_t("invite.none", year=year))
        return
    # the files only after the commit: a QR code or letter never names a token that
    # a failed commit left nowhere
    out.mkdir(parents=True, exist_ok=True)
    with transaction(engine, read_only=True) as session:
        export = export_invitations(
            session, year, out, config.bot_username, config.language, settings=config
        )
    print(_t("invite.issued", year=year, new=len(new), total=total))
    qr_dir = export.qr_codes[0].parent if export.qr_codes else out
    letter_dir = export.letters[0].parent if export.letters else out
    print(
        _t(
            "invite.exported",
            sheet=export.sheet,
            qr_dir=qr_dir,
            count=len(export.qr_codes),
            letter_dir=letter_dir,
            letters=len(export.letters),
        )
    )


def _invitation(
    session: Session, unit: str, agency: str, year: int
) -> tuple[Invitation, CreationUnit, Agency]:
    from surveys.invitations import find_invitation
    from workflow.community import units
    from workflow.registry.service import find_agency

    found_unit, found_agency = units.find_unit(session, unit), find_agency(session, agency)
    return find_invitation(session, found_unit, found_agency, year), found_unit, found_agency


def invitation_dict(
    session: Session, invitation: Invitation, unit: CreationUnit, agency: Agency
) -> dict[str, Any]:
    """Everything an admin needs about one invitation (also the `--json` form)."""
    from surveys import coverage as coverage_report
    from surveys.answering import history
    from surveys.invitations import invitation_link, web_link

    assert invitation.id is not None
    submissions = history(session, invitation.id)
    latest = submissions[-1] if submissions else None
    return {
        "year": invitation.year,
        "unit": {"id": unit.id, "name": unit.name, "district": unit.district},
        "agency": {"id": agency.id, "name": agency.name, "credit_code": agency.credit_code},
        "token": invitation.token,
        "link": invitation_link(invitation.token, settings().bot_username),
        "web_link": web_link(invitation.token, settings().public_url),
        "status": coverage_report.invitation_status(session, invitation).value,
        "channel": coverage_report.channel_of(invitation, latest),
        "opened_at": invitation.opened_at,
        "bound_user_id": invitation.bound_user_id,
        "bound_at": invitation.bound_at,
        "submissions": len(submissions),
        "receipt": latest.receipt if latest else None,
        "submitted_at": latest.submitted_at if latest else None,
    }


@invite_app.command("show")
def invite_show(
    unit: Annotated[str, typer.Argument(help="创建单位编号或名称 / unit number or name")],
    agency: Annotated[
        str, typer.Argument(help="机构编号或统一社会信用代码 / agency id or credit code")
    ],
    year: Annotated[int, typer.Argument(help="考核年度 / assessment year", parser=YEAR)],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / JSON output")] = False,
) -> None:
    """显示一份问卷邀请：链接、状态和绑定的用户 / show one invitation: link, state, bound user."""
    from surveys import coverage as coverage_report
    from workflow.core.db import transaction

    with transaction(open_engine(), read_only=True) as session:
        data = invitation_dict(session, *_invitation(session, unit, agency, year))
    if as_json:
        print_json(data)
        return
    status = coverage_report.Status(data["status"]).label(settings().language)
    bound = _bound(data["channel"], data["bound_user_id"])
    print(
        _t(
            "invite.show",
            district=data["unit"]["district"],
            unit=data["unit"]["name"],
            agency=data["agency"]["name"],
            year=year,
            link=data["link"],
            web_link=data["web_link"],
            status=status,
            bound=bound,
        )
    )


def _bound(channel: str, user_id: int | None) -> str:
    """Who answers the invitation, for `invite show`."""
    from surveys.answering import channel_label

    if user_id is not None:
        return _t("invite.bound_telegram", user=user_id)
    return channel_label(channel, settings().language) if channel else _t("invite.unbound")


@invite_app.command("rebind")
def invite_rebind(
    unit: Annotated[str, typer.Argument(help="创建单位编号或名称 / unit number or name")],
    agency: Annotated[
        str, typer.Argument(help="机构编号或统一社会信用代码 / agency id or credit code")
    ],
    year: Annotated[int, typer.Argument(help="考核年度 / assessment year", parser=YEAR)],
    user: Annotated[
        int | None,
        typer.Option(
            help="绑定到该 Telegram 用户编号；不填则由下一位打开链接的用户绑定 / bind this Telegram user; none: the next one to open the link",
            parser=TELEGRAM_USER,
        ),
    ] = None,
) -> None:
    """更换答卷人：绑定指定 Telegram 用户，或解除绑定 / bind another Telegram user, or release the link."""
    from surveys.invitations import rebind
    from workflow.core.db import transaction

    with transaction(open_engine()) as session:
        invitation, found_unit, found_agency = _invitation(session, unit, agency, year)
        rebind(session, invitation, user, operator())
    names = {
        "district": found_unit.district,
        "unit": found_unit.name,
        "agency": found_agency.name,
        "year": year,
    }
    print(_t("invite.rebound", user=user, **names) if user else _t("invite.released", **names))


# ---------------------------------------------------------------------------
# safecomm survey …
# ---------------------------------------------------------------------------

survey_app = typer.Typer(
    help="问卷进度与得分 / questionnaire coverage and points", no_args_is_help=True
)


@survey_app.command("status")
def survey_status(
    year: Annotated[int, typer.Argument(help="考核年度 / assessment year", parser=YEAR)],
    xlsx: Annotated[
        Path | None, typer.Option(help="同时导出 .xlsx 报表 / also write an .xlsx report")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / JSON output")] = False,
) -> None:
    """问卷进度：按机构和创建单位列出未邀请、已邀请、已打开、填写中、已提交 / questionnaire coverage."""
    from surveys import coverage as coverage_report
    from surveys.errors import survey_texts
    from workflow.core.db import transaction

    config = settings()
    with transaction(open_engine(), read_only=True) as session:
        rows = coverage_report.coverage(session, year)
    if as_json:
        print_json([{**row.__dict__, "status": row.status.value} for row in rows])
    elif not rows:
        print(_t("status.none", year=year))
    else:
        language = config.language
        statuses = list(coverage_report.Status)
        print_table(
            [col("agency_id"), col("agency"), col("guided")]
            + [s.label(language) for s in statuses],
            [
                [a.agency_id, a.agency, a.guided] + [a.counts[s] for s in statuses]
                for a in coverage_report.by_agency(rows)
            ],
        )
        print()
        print_table(
            [
                col("agency"),
                col("district"),
                col("unit"),
                col("status"),
                col("channel"),
                col("answered"),
                col("receipt"),
                col("unreachable"),
            ],
            [
                [
                    r.agency,
                    r.district,
                    r.unit,
                    r.status.label(language),
                    r.channel_label(language),
                    r.answered,
                    r.receipt,
                    survey_texts.text("survey.unreachable", language) if r.unreachable else "",
                ]
                for r in rows
            ],
        )
    if xlsx is not None:
        coverage_report.write_xlsx(rows, xlsx, year, config)
        if not as_json:
            print(_t("status.written", path=xlsx))


@survey_app.command("fill")
def survey_fill(
    year: Annotated[int, typer.Argument(help="考核年度 / assessment year", parser=YEAR)],
) -> None:
    """将问卷得分（3.1–3.5）填入各机构的考核评分表 / put questionnaire points into the score sheets."""
    from surveys.scoring import fill_sheets
    from workflow.core.db import transaction

    with transaction(open_engine()) as session:
        report = fill_sheets(session, year, operator(), settings=settings())
    if not report.filled and not report.skipped:
        print(_t("fill.none", year=year))
        return
    for filled in report.filled:
        points = filled.points_in_words()
        print(_t("fill.filled", agency=filled.agency, points=points, responses=filled.responses))
    for skipped in report.skipped:
        print(_t(f"fill.{skipped.reason}", agency=skipped.agency))
    if report.still_open:
        print(_t("fill.still_open", year=year))


@survey_app.command("enter")
def survey_enter(
    unit: Annotated[str, typer.Argument(help="创建单位编号或名称 / creation unit number or name")],
    agency: Annotated[str, typer.Argument(help="机构编号或信用代码 / agency id or credit code")],
    year: Annotated[int, typer.Argument(help="考核年度 / assessment year", parser=YEAR)],
    channel: Annotated[
        str,
        typer.Option(
            help="座谈会（forum）、纸质问卷（paper）或电话（phone） / forum, paper or phone"
        ),
    ],
    answers: Annotated[
        str, typer.Option(help="5 项得分，逗号分隔，如 4,3,4,4,3 / the 5 answers, e.g. 4,3,4,4,3")
    ],
) -> None:
    """代创建单位录入座谈会、纸质或电话答复（第十二条） / enter a unit's answers on its behalf (Art. 12)."""
    from surveys.answering import channel_label, enter_on_behalf, parse_answers
    from workflow.community import units
    from workflow.core.db import transaction
    from workflow.registry.service import find_agency

    given = parse_answers(answers)
    config = settings()
    with transaction(open_engine()) as session:
        found_unit, found_agency = units.find_unit(session, unit), find_agency(session, agency)
        entered = enter_on_behalf(
            session,
            found_unit,
            found_agency,
            year,
            given,
            channel=channel,
            actor=operator(),
            settings=config,
        )
    print(
        _t(
            "entry.saved",
            unit=entered.survey.unit,
            agency=entered.survey.agency,
            year=year,
            channel=channel_label(entered.channel),
            actor=operator(),
            receipt=entered.receipt,
        )
    )
    if entered.replaced:
        print(_t("entry.replaced"))


# ---------------------------------------------------------------------------

forum_app = typer.Typer(
    help="创建单位座谈会（第十二条） / creation-unit forums (Art. 12)", no_args_is_help=True
)


@forum_app.command("add")
def forum_add(
    year: Annotated[int, typer.Argument(help="考核年度 / assessment year", parser=YEAR)],
    held_on: Annotated[str, typer.Option("--date", help="召开日期 YYYY-MM-DD / date held")],
    unit: Annotated[
        list[str],
        typer.Option(help="出席的创建单位（编号或名称，可写多次） / a unit present (repeatable)"),
    ],
    notes: Annotated[str, typer.Option(help="情况记录 / notes")] = "",
    minutes: Annotated[Path | None, typer.Option(help="会议纪要文件 / the minutes file")] = None,
) -> None:
    """登记一次创建单位座谈会 / record a creation-unit forum."""
    import shutil
    from datetime import date

    from workflow.community import forums, units
    from workflow.core.db import transaction
    from workflow.core.errors import InvalidInput

    try:
        day = date.fromisoformat(held_on.strip())
    except ValueError:
        raise InvalidInput("forums.bad_date", value=held_on) from None
    if minutes is not None and not minutes.is_file():
        raise InvalidInput("forums.no_minutes_file", path=minutes)
    config, engine = settings(), open_engine()
    with transaction(engine) as session:
        ids = [units.find_unit(session, ref).id or 0 for ref in unit]
        forum = forums.record_forum(session, year, day, ids, notes=notes, actor=operator())
        forum_id, count = forum.id or 0, len(set(ids))
    print(_t("forum.saved", forum=forum_id, date=day.isoformat(), count=count))
    if minutes is None:
        return
    # files are written after the commit; then the path is stored
    folder = Path(config.upload_dir) / str(year) / "forums"
    target = folder / f"{forum_id}-{minutes.name}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(minutes, target)
    except OSError:
        raise InvalidInput("forums.cannot_store", path=target) from None
    with transaction(engine) as session:
        forums.set_minutes(session, forum_id, str(target))
    print(_t("forum.minutes", path=target))


@forum_app.command("list")
def forum_list(
    year: Annotated[int, typer.Argument(help="考核年度 / assessment year", parser=YEAR)],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / JSON output")] = False,
) -> None:
    """列出一年的创建单位座谈会 / list a year's creation-unit forums."""
    from workflow.community import forums
    from workflow.core.db import transaction

    with transaction(open_engine(), read_only=True) as session:
        views = forums.forums_of(session, year)
    rows = [
        {
            "forum": v.forum.id,
            "date": v.forum.held_on.isoformat(),
            "units": "、".join(u.name for u in v.units),
            "notes": v.forum.notes,
            "minutes": v.forum.minutes_path,
            "by": v.forum.recorded_by,
        }
        for v in views
    ]
    if as_json:
        print_json(rows)
    elif not rows:
        print(_t("forum.none", year=year))
    else:
        names = ("forum", "date", "units", "notes", "minutes", "by")
        print_table([_t(f"forum.col.{n}") for n in names], [[r[n] for n in names] for r in rows])


def register(app: typer.Typer) -> None:
    """Add this topic's commands to the app."""
    app.add_typer(unit_app, name="unit")
    app.add_typer(invite_app, name="invite")
    app.add_typer(survey_app, name="survey")
    app.add_typer(forum_app, name="forum")
