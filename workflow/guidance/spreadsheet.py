"""Guidance activities in bulk: the 指导工作 template, its all-or-nothing import, and the
status table (counts against Art. 11's minimums) for the terminal and as xlsx.

Every imported row goes through `activities.parse_fields` and `record_activity`, and
every file it names through `evidence.stage` and `add_evidence`: the same rules as a
single entry. One transaction holds the whole sheet; any error anywhere stores
nothing, and every file staged for it is removed again.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from workflow.access.actors import Actor
from workflow.community import units
from workflow.community.models import Guidance
from workflow.core.db import transaction
from workflow.core.errors import DomainError, InvalidInput
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings
from workflow.core.spreadsheets import (
    open_workbook,
    save_workbook,
    widths_in_order,
    write_table_xlsx,
)
from workflow.guidance import activities, evidence, kinds, minimums
from workflow.registry.models import Agency
from workflow.registry.service import find_agency_named

ACTIVITY_SHEET = "指导工作"
HELP_SHEET = "填写说明"
REQUIRED = (
    ("agency", "机构", "agency"),
    ("unit", "创建单位", "unit"),
    ("district", "区", "district"),
    ("kind", "工作类型", "kind"),
    ("held_on", "日期", "date"),
)
DETAILS: Mapping[str, tuple[str, ...]] = {
    kinds.LEADING_BODY: kinds.MEMBER_CATEGORIES,
    kinds.RISK_VISIT: kinds.RISK_COUNTS,
    kinds.PROJECT: ("field", "status"),
}
"""The kinds that record details, and their keys (`kinds.check_details`)."""
DETAIL_COLUMNS = (
    ("departments", "成员：辖区相关部门", "departments"),
    ("social_organisations", "成员：社会组织", "social_organisations"),
    ("enterprises", "成员：企事业单位", "enterprises"),
    ("residents", "成员：居民", "residents"),
    ("deputies", "成员：人大代表", "deputies"),
    ("other", "成员：其他", "other_members"),
    ("points", "走访点位", "points"),
    ("hazards", "发现隐患", "hazards"),
    ("measures", "建议措施", "measures"),
    ("field", "项目领域", "field"),
    ("status", "项目状态", "status"),
)
OPTIONAL = (
    ("topic", "主题", "topic"),
    ("programme", "创建类型", "programme"),
    ("title", "名称", "title"),
    ("description", "说明", "description"),
    ("attendance", "参加人数", "attendance"),
    *DETAIL_COLUMNS,
    ("files", "佐证文件", "files"),
)
COLUMNS = (*REQUIRED[:3], REQUIRED[3], OPTIONAL[0], OPTIONAL[1], REQUIRED[4], *OPTIONAL[2:])
"""The template's columns, in the order the brief of issue 12 lists them."""
FILE_SEPARATORS = re.compile(r"[、;；\n]+")


def _text(key: str, **params: object) -> str:
    return workflow_texts.text(f"guidance_sheet.{key}", None, **params)


def detail_key(kind: str, name: str) -> str:
    """A detail's key from its code or its column heading (`居民`, `成员：居民`, `走访点位`)."""
    allowed = DETAILS.get(kind, ())
    wanted = name.strip().removeprefix("成员：").lower()
    for key, zh, en in DETAIL_COLUMNS:
        if key in allowed and wanted in (key, en, zh.removeprefix("成员：").lower()):
            return key
    if not allowed:
        raise InvalidInput("guidance_sheet.no_details", kind=kinds.kind_label(kind), name=name)
    names = "、".join(zh for key, zh, _ in DETAIL_COLUMNS if key in allowed)
    raise InvalidInput(
        "guidance_sheet.bad_detail", kind=kinds.kind_label(kind), name=name, names=names
    )


def parse_details(kind: str, named: Mapping[str, object]) -> dict[str, Any]:
    """The details named by code or heading, blanks left out (checked by `parse_fields`)."""
    return {
        detail_key(kind, name): value.strip() if isinstance(value, str) else value
        for name, value in named.items()
        if value is not None and str(value).strip()
    }


def details_text(kind: str, details: Mapping[str, Any], language: str | None = None) -> str:
    """An activity's details in words: `居民 3、社会组织 2`, `走访点位 12`, `消防、已完成`."""
    if kind == kinds.PROJECT:
        status = details.get("status")
        words = [
            str(details.get("field") or ""),
            workflow_texts.text(f"guidance.project_status.{status}", language) if status else "",
        ]
        return "、".join(w for w in words if w)
    group = "member" if kind == kinds.LEADING_BODY else "risk"
    return "、".join(
        f"{workflow_texts.text(f'guidance.{group}.{key}', language)} {details[key]}"
        for key in DETAILS.get(kind, ())
        if key in details
    )


def file_names(cell: object) -> list[str]:
    """The file names of a 佐证文件 cell, separated by 、 or ；."""
    return [name.strip() for name in FILE_SEPARATORS.split(str(cell or "")) if name.strip()]


# --- the template and the import ------------------------------------------------------


def write_template(path: Path) -> Path:
    """The 指导工作 sheet: headers and one sample row, marked `示例：` and grey, never imported."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = ACTIVITY_SHEET
    sheet.append([zh for _, zh, _ in COLUMNS])
    sample = {
        "agency": units.EXAMPLE_MARK + "北京某安全咨询有限公司",
        "unit": "建国门街道",
        "district": "东城区",
        "kind": "培训",
        "topic": "风险辨识",
        "programme": "安全社区",
        "held_on": "2026-03-05",
        "title": "风险辨识方法培训",
        "description": "讲解风险辨识的方法和步骤",
        "attendance": 35,
        "files": "签到表.jpg、培训照片.jpg",
    }
    sheet.append([sample.get(name, "") for name, _, _ in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="808080")
    for letter, width in widths_in_order(
        [16 if zh != "佐证文件" else 30 for _, zh, _ in COLUMNS]
    ).items():
        sheet.column_dimensions[letter].width = width
    _write_help(workbook.create_sheet(HELP_SHEET))
    save_workbook(workbook, path)
    return path


def _write_help(sheet: Any) -> None:
    """What each kind of work takes: its topics, whether people are counted, its details."""
    sheet.append([_text(f"help.{name}") for name in ("kind", "topics", "attendance", "details")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for kind in kinds.KINDS:
        topics = "、".join(kinds.topic_label(kind, t) for t in kinds.TOPICS.get(kind, ()))
        details = "、".join(zh for key, zh, _ in DETAIL_COLUMNS if key in DETAILS.get(kind, ()))
        people = _text("help.yes") if kind in kinds.WITH_ATTENDANCE else ""
        sheet.append([kinds.kind_label(kind), topics, people, details])
    programmes = "、".join(kinds.programme_label(p) for p in kinds.PROGRAMMES)
    sheet.append([])
    sheet.append([_text("help.programme", programmes=programmes)])
    sheet.append([_text("help.files")])
    for letter, width in widths_in_order([16, 50, 10, 60]).items():
        sheet.column_dimensions[letter].width = width


def is_activity_sheet(path: Path) -> bool:
    """Whether the workbook holds a 指导工作 sheet (else it is a sheet of guidance records)."""
    with open_workbook(path) as workbook:
        return ACTIVITY_SHEET in workbook.sheetnames


def read_activities(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """The sheet's activity rows with their row numbers (sample rows left out)."""
    return units.read_rows(path, ACTIVITY_SHEET, REQUIRED, OPTIONAL)


@dataclass(frozen=True)
class ImportReport:
    activities: int
    files: int


def _activity(
    session: Session, row: Mapping[str, Any], actor: Actor, settings: Settings, today: date | None
) -> tuple[int, int, int]:
    """Record one row's activity: (activity id, agency id, year)."""
    agency = find_agency_named(session, row.get("agency"))
    unit = units.find_unit_in(session, row.get("unit"), row.get("district"))
    kind = kinds.parse_kind(str(row.get("kind") or ""))
    given = activities.parse_fields(
        kind,
        row.get("held_on"),
        topic=row.get("topic") or "",
        programme=row.get("programme") or "",
        title=row.get("title") or "",
        description=row.get("description") or "",
        attendance=row.get("attendance"),
        details=parse_details(
            kind, {zh: row.get(key) for key, zh, _ in DETAIL_COLUMNS if key in row}
        ),
    )
    assert agency.id is not None and unit.id is not None
    year = given.held_on.year
    recorded = activities.record_activity(
        session, agency.id, unit.id, year, given, actor, settings, today=today
    )
    assert recorded.id is not None
    return recorded.id, agency.id, year


def import_activities(
    engine: Engine,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    files_dir: Path | None,
    actor: Actor,
    settings: Settings,
    *,
    today: date | None = None,
) -> ImportReport:
    """Record every row's activity and attach its files, or nothing: all errors are
    collected with their row numbers first; on any, no row is kept and no file stays."""
    errors = units.RowErrors(limit=None)
    seen: dict[tuple[int, int, str], tuple[int, str]] = {}
    count = files = 0
    with evidence.staging() as staged, transaction(engine) as session:
        for number, row in rows:
            try:
                activity_id, agency_id, year = _activity(session, row, actor, settings, today)
            except DomainError as error:
                errors.add(number, error.message())
                continue
            count += 1
            for name in file_names(row.get("files")):
                try:
                    stored = _file(files_dir, name, agency_id, year, settings)
                except DomainError as error:
                    errors.add(number, error.message())
                    continue
                staged.append(stored)
                first = seen.setdefault((agency_id, year, stored.sha256), (number, name))
                if first != (number, name):
                    message = _text("same_file", name=name, row=first[0], first=first[1])
                    errors.add(number, message)
                    continue
                try:
                    evidence.add_evidence(
                        session, activity_id, stored, name, _mime(name), actor, settings
                    )
                except DomainError as error:
                    errors.add(number, error.message())
                    continue
                files += 1
        errors.raise_if_any()
    return ImportReport(count, files)


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or ""


def _file(
    files_dir: Path | None, name: str, agency_id: int, year: int, settings: Settings
) -> evidence.Staged:
    if files_dir is None:
        raise InvalidInput("guidance_sheet.no_files_dir", name=name)
    source = files_dir / name
    if Path(name).name != name or not source.is_file():
        raise InvalidInput("guidance_sheet.no_file", name=name, folder=files_dir)
    return evidence.stage(source, name, _mime(name), agency_id, year, settings)


# --- one activity with its files, at once ------------------------------------------------


def _attach_all(
    session: Session,
    activity_id: int,
    agency_id: int,
    year: int,
    sources: Sequence[Path],
    actor: Actor,
    settings: Settings,
    staged: list[evidence.Staged],
) -> int:
    for source in sources:
        if not source.is_file():
            raise InvalidInput("guidance_sheet.no_file", name=source.name, folder=source.parent)
        stored = evidence.stage(source, source.name, _mime(source.name), agency_id, year, settings)
        staged.append(stored)
        evidence.add_evidence(
            session, activity_id, stored, source.name, _mime(source.name), actor, settings
        )
    return len(sources)


def record_with_files(
    engine: Engine,
    agency_id: int,
    unit_id: int,
    year: int,
    given: activities.ActivityInput,
    sources: Sequence[Path],
    actor: Actor,
    settings: Settings,
    *,
    today: date | None = None,
) -> int:
    """Record an activity and attach its files in one transaction (all or nothing);
    returns the activity's number."""
    with evidence.staging() as staged, transaction(engine) as session:
        recorded = activities.record_activity(
            session, agency_id, unit_id, year, given, actor, settings, today=today
        )
        assert recorded.id is not None
        _attach_all(session, recorded.id, agency_id, year, sources, actor, settings, staged)
        return recorded.id


def attach_files(
    engine: Engine, activity_id: int, sources: Sequence[Path], actor: Actor, settings: Settings
) -> int:
    """Attach several files to an activity, all or none; returns how many."""
    with evidence.staging() as staged, transaction(engine) as session:
        found = activities.find_activity(session, activity_id)
        return _attach_all(
            session, activity_id, found.agency_id, found.year, sources, actor, settings, staged
        )


# --- the status table -------------------------------------------------------------------

STATUS_COLUMNS = (
    "agency",
    "district",
    "unit",
    "programmes",
    "kickoff",
    "trainings",
    "progress",
    "plans",
    "projects",
    "files",
    "shortfalls",
)


def status_headers(language: str | None = None) -> list[str]:
    return [workflow_texts.text(f"guidance_sheet.col.{c}", language) for c in STATUS_COLUMNS]


def guiding_agencies(session: Session, year: int) -> list[Agency]:
    """Every agency that guides a unit in `year`, by number."""
    query = (
        select(Agency)
        .join(Guidance, col(Guidance.agency_id) == col(Agency.id))
        .where(Guidance.year == year)
        .distinct()
        .order_by(col(Agency.id))
    )
    return list(session.exec(query).all())


def status_rows(
    session: Session,
    year: int,
    agencies: Sequence[Agency],
    as_of: date,
    settings: Settings,
    language: str | None = None,
) -> list[list[object]]:
    """One row per agency and guided unit: counts against Art. 11 and the shortfalls in words."""
    rows: list[list[object]] = []
    none = workflow_texts.text("guidance_sheet.none", language)
    for agency in agencies:
        assert agency.id is not None
        for record in minimums.unit_records(session, agency.id, year, as_of, settings):
            guidance = record.guidance
            programmes = "、".join(
                kinds.programme_label(p, language) for p in kinds.PROGRAMMES if getattr(guidance, p)
            )
            projects: object = (
                f"{record.projects_safe}/{minimums.MIN_SAFE_COMMUNITY_PROJECTS}"
                if guidance.safe_community
                else record.counts.get(kinds.PROJECT, 0)
            )
            rows.append(
                [
                    agency.name,
                    record.unit.district,
                    record.unit.name,
                    programmes,
                    record.counts.get(kinds.KICKOFF, 0),
                    f"{record.trainings}/{minimums.MIN_TRAININGS}",
                    record.counts.get(kinds.PROGRESS_MEETING, 0),
                    len(minimums.REQUIRED_PLANS) - len(record.plans_missing),
                    projects,
                    record.files,
                    "；".join(s.message(language) for s in record.shortfalls) or none,
                ]
            )
    return rows


def write_status(
    path: Path, year: int, rows: Sequence[Sequence[object]], language: str | None = None
) -> Path:
    """The status table as xlsx (sheet 指导工作情况)."""
    title = workflow_texts.text("guidance_sheet.status_title", language, year=year)
    widths = widths_in_order([28, 10, 18, 20, 8, 8, 8, 10, 10, 10, 60])
    write_table_xlsx(path, title, status_headers(language), rows, widths)
    return path
