"""Creation units (创建单位) and guidance records: which agency guided which unit in which year.

Only units with a guidance record for (agency, year) may rate that agency, so
these records are what survey invitations are issued from. Units and guidance
come from the CLI one at a time or from a spreadsheet; a spreadsheet import is
all or nothing: every row is checked first and one bad row writes nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session, col, select

from workflow.community import campaigns
from workflow.community.models import CreationUnit, Guidance
from workflow.core.db import as_row_id
from workflow.core.errors import Conflict, DomainError, InvalidInput, NotFound
from workflow.core.i18n import workflow_texts
from workflow.core.spreadsheets import open_workbook, save_workbook
from workflow.core.text import check_characters
from workflow.guidance import kinds
from workflow.registry.models import Agency
from workflow.registry.service import find_agency
from workflow.registry.values import BadValue, is_blank, read_date, read_yes_no

NAME_LIMIT = 200
DISTRICTS = (
    "东城区",
    "西城区",
    "朝阳区",
    "丰台区",
    "石景山区",
    "海淀区",
    "门头沟区",
    "房山区",
    "通州区",
    "顺义区",
    "昌平区",
    "大兴区",
    "怀柔区",
    "平谷区",
    "密云区",
    "延庆区",
    "北京经济技术开发区",
)
_DISTRICT_ALIASES = {"经开区": "北京经济技术开发区", "亦庄": "北京经济技术开发区"}

# Spreadsheet layout: sheet name, then (field, Chinese header, English header).
UNIT_SHEET = "创建单位"
UNIT_COLUMNS = (
    ("name", "名称", "name"),
    ("district", "区", "district"),
    ("safe_community", "安全社区", "safe_community"),
    ("disaster_reduction", "综合减灾示范社区", "disaster_reduction"),
)
GUIDANCE_SHEET = "指导记录"
EXAMPLE_MARK = "示例："
"""How the template's sample rows begin (first cell): such a row is an example, never imported."""
GUIDANCE_COLUMNS = (
    ("unit", "创建单位名称", "unit"),
    ("district", "区", "district"),
    ("agency", "咨询服务机构", "agency"),
    ("year", "年度", "year"),
)
GUIDANCE_OPTIONAL = (
    ("programmes", "创建类型", "programme"),
    ("started_on", "指导开始日期", "started_on"),
)
"""Columns an older sheet may lack: then the unit's own programmes, from 1 January."""
BOTH_PROGRAMMES = ("两者", "两项", "both")
"""How a sheet or the CLI says "guided in both programmes"."""


def _clean(text: object) -> str:
    return unicodedata.normalize("NFKC", "" if text is None else str(text)).strip()


def normalise_district(district: object) -> str:
    """`朝阳` or `朝阳区` → `朝阳区`; anything that is not a Beijing district is refused."""
    text = _clean(district)
    text = _DISTRICT_ALIASES.get(text, text)
    for candidate in (text, text + "区"):
        if candidate in DISTRICTS:
            return candidate
    raise InvalidInput("units.district_unknown", district=text)


def parse_flag(value: object) -> bool:
    """A programme column of a spreadsheet: yes or no (`read_yes_no`); empty means no."""
    if is_blank(value):
        return False
    answer = read_yes_no(value)
    if answer is None:
        raise InvalidInput("units.flag_invalid", value=_clean(value))
    return answer


def _unit_fields(
    name: object, district: object, safe_community: bool, disaster_reduction: bool
) -> CreationUnit:
    """A checked, unsaved unit (name, district, at least one programme)."""
    clean_name = check_characters(_clean(name), field="unit_name")
    if not clean_name:
        raise InvalidInput("units.name_missing")
    if len(clean_name) > NAME_LIMIT:
        raise InvalidInput("units.name_too_long", limit=NAME_LIMIT, name=clean_name[:20] + "…")
    clean_district = normalise_district(district)
    if not (safe_community or disaster_reduction):
        raise InvalidInput("units.no_programme", name=clean_name)
    return CreationUnit(
        name=clean_name,
        district=clean_district,
        safe_community=safe_community,
        disaster_reduction=disaster_reduction,
    )


def _existing(session: Session, name: str, district: str) -> CreationUnit | None:
    query = select(CreationUnit).where(CreationUnit.name == name, CreationUnit.district == district)
    return session.exec(query).first()


def add_unit(
    session: Session,
    name: str,
    district: str,
    *,
    safe_community: bool = False,
    disaster_reduction: bool = False,
) -> CreationUnit:
    """Register a creation unit; the same name twice in one district is refused."""
    unit = _unit_fields(name, district, safe_community, disaster_reduction)
    if _existing(session, unit.name, unit.district) is not None:
        raise Conflict("units.duplicate", name=unit.name, district=unit.district)
    session.add(unit)
    session.flush()
    return unit


def find_unit(session: Session, ref: str | int) -> CreationUnit:
    """A unit by number, or by name when that name is unique."""
    text = _clean(ref)
    if text.isdigit() or isinstance(ref, int):
        row_id = as_row_id(text)
        unit = session.get(CreationUnit, row_id) if row_id is not None else None
        if unit is None:
            raise NotFound("units.not_found", ref=text)
        return unit
    matches = list(session.exec(select(CreationUnit).where(CreationUnit.name == text)).all())
    if not matches:
        raise NotFound("units.not_found", ref=text)
    if len(matches) > 1:
        districts = "、".join(sorted(unit.district for unit in matches))
        raise InvalidInput("units.ambiguous", ref=text, districts=districts)
    return matches[0]


def find_unit_in(session: Session, name: object, district: object) -> CreationUnit:
    """A unit by name and district (a blank district: `find_unit` by the name alone)."""
    if is_blank(district):
        return find_unit(session, _clean(name))
    clean_name, clean_district = _clean(name), normalise_district(district)
    unit = _existing(session, clean_name, clean_district)
    if unit is None:
        raise NotFound("units.not_found", ref=f"{clean_district} {clean_name}")
    return unit


def list_units(
    session: Session, *, year: int | None = None, agency_id: int | None = None
) -> list[CreationUnit]:
    """Units by number; with `year` and/or `agency_id`, only the units guided then / by it."""
    query = select(CreationUnit).order_by(col(CreationUnit.id))
    if year is not None or agency_id is not None:
        query = query.join(Guidance, col(Guidance.unit_id) == col(CreationUnit.id)).distinct()
        if year is not None:
            query = query.where(Guidance.year == year)
        if agency_id is not None:
            query = query.where(Guidance.agency_id == agency_id)
    return list(session.exec(query).all())


def parse_programmes(value: object, unit: CreationUnit) -> tuple[bool, bool]:
    """(safe community, disaster reduction) of a guidance record: 安全社区, 综合减灾示范社区 or
    两者 (codes too); blank means the unit's own programmes. A programme the unit is not
    in is refused: it cannot be guided in it."""
    text = _clean(value)
    if not text:
        return unit.safe_community or not unit.disaster_reduction, unit.disaster_reduction
    if text.lower() in BOTH_PROGRAMMES:
        wanted = set(kinds.PROGRAMMES)
    else:
        wanted = {kinds.parse_programme(text)}
    for programme in kinds.PROGRAMMES:
        if programme in wanted and not getattr(unit, programme):
            raise InvalidInput(
                "units.programme_not_in_unit",
                unit=unit.name,
                programme=kinds.programme_label(programme),
            )
    return kinds.SAFE_COMMUNITY in wanted, kinds.DISASTER_REDUCTION in wanted


def parse_start(value: object, year: int) -> date | None:
    """The first day of guidance in `year` (指导开始日期), blank for 1 January."""
    if is_blank(value):
        return None
    try:
        day = read_date(value)
    except BadValue as bad:
        problem = workflow_texts.text(bad.key, **bad.params)
        raise InvalidInput("units.bad_start", problem=problem) from None
    if day.year != year:
        raise InvalidInput("units.start_outside_year", day=day, year=year)
    return day


def add_guidance(
    session: Session,
    unit: CreationUnit,
    agency: Agency,
    year: int,
    *,
    programmes: object = "",
    started_on: object = None,
) -> Guidance:
    """Record that `agency` guided `unit` in `year` (once), in the programme(s) named
    (default: the unit's own), from `started_on` (default 1 January)."""
    year = campaigns.parse_year(year)
    assert unit.id is not None and agency.id is not None
    safe, disaster = parse_programmes(programmes, unit)
    start = parse_start(started_on, year)
    if find_guidance(session, unit.id, agency.id, year) is not None:
        raise Conflict("units.guidance_duplicate", unit=unit.name, year=year)
    guidance = Guidance(
        unit_id=unit.id,
        agency_id=agency.id,
        year=year,
        safe_community=safe,
        disaster_reduction=disaster,
        started_on=start,
    )
    session.add(guidance)
    session.flush()
    return guidance


def find_guidance(session: Session, unit_id: int, agency_id: int, year: int) -> Guidance | None:
    """The record that `agency_id` guided `unit_id` in `year`, if there is one."""
    query = select(Guidance).where(
        Guidance.unit_id == unit_id, Guidance.agency_id == agency_id, Guidance.year == year
    )
    return session.exec(query).first()


def guidance_for(session: Session, year: int) -> list[tuple[Guidance, CreationUnit, Agency]]:
    """Every guidance record of `year` with its unit and agency, by agency then unit."""
    query = (
        select(Guidance, CreationUnit, Agency)
        .join(CreationUnit, col(CreationUnit.id) == col(Guidance.unit_id))
        .join(Agency, col(Agency.id) == col(Guidance.agency_id))
        .where(Guidance.year == year)
        .order_by(col(Agency.id), col(CreationUnit.id))
    )
    return [(g, u, a) for g, u, a in session.exec(query).all()]


# ---------------------------------------------------------------------------
# Spreadsheets
# ---------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import wrote: new rows, and rows that were already there unchanged."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@dataclass
class RowErrors:
    """The errors of an all-or-nothing import, each with its row number."""

    messages: list[str] = field(default_factory=list)
    limit: int | None = 10
    """How many are shown in the refusal (None: all)."""

    def add(self, row: int, message: str) -> None:
        self.messages.append(workflow_texts.text("units.row_error", row=row, message=message))

    def raise_if_any(self) -> None:
        if self.messages:
            shown = "；".join(self.messages[: self.limit])
            if self.limit is not None and len(self.messages) > self.limit:
                shown += "；…"
            raise InvalidInput("units.import_failed", count=len(self.messages), errors=shown)


def read_rows(
    path: Path,
    sheet: str,
    columns: Sequence[tuple[str, str, str]],
    optional: Sequence[tuple[str, str, str]] = (),
) -> list[tuple[int, dict[str, Any]]]:
    """The data rows of `sheet` (or the first sheet) keyed by field, with their row numbers;
    `optional` columns may be missing (their fields are then None)."""
    with open_workbook(path) as workbook:
        worksheet = workbook[sheet] if sheet in workbook.sheetnames else workbook.worksheets[0]
        rows = list(worksheet.iter_rows(values_only=True))
    if not rows:
        raise InvalidInput("units.file_empty")
    headers = [_clean(cell).lower() for cell in rows[0]]
    positions: dict[str, int] = {}
    for name, zh, en in columns:
        for label in (zh.lower(), en.lower()):
            if label in headers:
                positions[name] = headers.index(label)
                break
        else:
            raise InvalidInput("units.column_missing", column=zh)
    for name, zh, en in optional:
        for label in (zh.lower(), en.lower()):
            if label in headers:
                positions[name] = headers.index(label)
                break
    data = [
        (
            number,
            {name: row[index] if index < len(row) else None for name, index in positions.items()}
            | {name: None for name, _, _ in optional if name not in positions},
        )
        for number, row in enumerate(rows[1:], start=2)
        if any(_clean(cell) for cell in row) and not is_example(row)
    ]
    if not data:
        raise InvalidInput("units.file_empty")
    return data


def is_example(row: Sequence[object]) -> bool:
    """Whether a sheet row is one of the template's sample rows (`示例：建国门街道`)."""
    first = next((_clean(cell) for cell in row if _clean(cell)), "")
    return first.startswith(_clean(EXAMPLE_MARK))


def import_units(session: Session, rows: Iterable[tuple[int, Mapping[str, Any]]]) -> ImportResult:
    """Add every unit of the sheet, or none: a unit already registered identically is kept."""
    errors = RowErrors()
    seen: dict[tuple[str, str], int] = {}
    new: list[CreationUnit] = []
    result = ImportResult()
    for number, row in rows:
        try:
            unit = _unit_fields(
                row.get("name"),
                row.get("district"),
                parse_flag(row.get("safe_community")),
                parse_flag(row.get("disaster_reduction")),
            )
        except DomainError as error:
            errors.add(number, error.message())
            continue
        key = (unit.name, unit.district)
        if key in seen:
            errors.add(number, workflow_texts.text("units.duplicate_in_file", first=seen[key]))
            continue
        seen[key] = number
        existing = _existing(session, *key)
        if existing is None:
            new.append(unit)
        elif (existing.safe_community, existing.disaster_reduction) == (
            unit.safe_community,
            unit.disaster_reduction,
        ):
            result.unchanged.append(f"{unit.district} {unit.name}")
        else:
            errors.add(number, Conflict("units.duplicate", **_named(unit)).message())
    errors.raise_if_any()
    session.add_all(new)
    session.flush()
    result.added = [f"{unit.district} {unit.name}" for unit in new]
    return result


def _named(unit: CreationUnit) -> dict[str, str]:
    return {"name": unit.name, "district": unit.district}


def import_guidance(
    session: Session, rows: Iterable[tuple[int, Mapping[str, Any]]]
) -> ImportResult:
    """Add every guidance record of the sheet, or none; one already recorded is kept."""
    errors = RowErrors()
    seen: dict[tuple[int, int, int], int] = {}
    new: list[Guidance] = []
    result = ImportResult()
    for number, row in rows:
        try:
            name, district = _clean(row.get("unit")), normalise_district(row.get("district"))
            unit = _existing(session, name, district)
            if unit is None:
                raise NotFound("units.not_found", ref=f"{district} {name}")
            agency = find_agency(session, _clean(row.get("agency")))
            year = campaigns.parse_year(row.get("year"))
            safe, disaster = parse_programmes(row.get("programmes"), unit)
            start = parse_start(row.get("started_on"), year)
        except DomainError as error:
            errors.add(number, error.message())
            continue
        assert unit.id is not None and agency.id is not None
        key = (unit.id, agency.id, year)
        if key in seen:
            errors.add(number, workflow_texts.text("units.duplicate_in_file", first=seen[key]))
            continue
        seen[key] = number
        label = f"{year} {agency.name} → {district} {name}"
        if find_guidance(session, *key) is not None:
            result.unchanged.append(label)
        else:
            new.append(
                Guidance(
                    unit_id=unit.id,
                    agency_id=agency.id,
                    year=year,
                    safe_community=safe,
                    disaster_reduction=disaster,
                    started_on=start,
                )
            )
            result.added.append(label)
    errors.raise_if_any()
    session.add_all(new)
    session.flush()
    return result


def write_template(path: Path) -> Path:
    """An .xlsx template with both sheets, their headers and one sample row each, marked
    `示例：` and shown grey: an example to copy, never imported."""
    workbook = Workbook()
    units = workbook.active
    assert units is not None
    units.title = UNIT_SHEET
    units.append([zh for _, zh, _ in UNIT_COLUMNS])
    units.append([EXAMPLE_MARK + "建国门街道", "东城区", "是", "否"])
    guidance = workbook.create_sheet(GUIDANCE_SHEET)
    guidance.append([zh for _, zh, _ in (*GUIDANCE_COLUMNS, *GUIDANCE_OPTIONAL)])
    guidance.append(
        [
            EXAMPLE_MARK + "建国门街道",
            "东城区",
            "91110101MA01XY3K3Y",
            2026,
            "安全社区",
            "2026-03-01",
        ]
    )
    for sheet in (units, guidance):
        for cell in sheet[2]:
            cell.font = Font(italic=True, color="808080")
        for letter in "ABCDEF":
            sheet.column_dimensions[letter].width = 24
    save_workbook(workbook, path)
    return path
