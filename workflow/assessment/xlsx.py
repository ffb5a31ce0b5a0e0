"""One agency's score sheet as a spreadsheet laid out like the official 考核标准 table.

`write_sheet` draws the table (sections merged down column A, one row per
indicator, then the bonus items, totals, grade and pass/fail, and the table's
notes); `read_sheet` reads a filled copy back. Rows are found by the code in
column B, so the labels may be in either language. Reading checks every cell
first and reports each bad one with its row and column; `import_sheet` writes
only when the whole file is clean.

Columns: A section · B code · C indicator · D method · E max · F content
present (有/无) · G evidence present (有/无) · H effect · I points · J note.
Bonus rows keep the count in F and the evidence description in J.
F and G must be filled on every materials row (评分说明二: the expert records
both explicitly): a blank is a bad cell, not 有. An indicator without evidence
gets at most the policy share of its maximum (`no_evidence_fraction`).

With the experts' desk (`export_sheet(..., settings=...)`), column K carries beside
each materials indicator what was recorded ("培训合计 4 次（…）；文件 12 个") and the
system's suggestion, and F/G of an indicator not yet judged are pre-filled with that
suggestion, coloured and commented as such. Reading is unchanged: F and G must still
hold 有 or 无, and a pre-filled value the expert leaves is what the expert confirmed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session

from workflow.assessment.evaluation import (
    DEFAULT_POLICY,
    Evaluation,
    Policy,
    ScoreError,
    bonus_points_per_case,
    check_bonus_count,
    check_points,
    parse_whole,
    share_text,
)
from workflow.assessment.models import ScoreSheet
from workflow.assessment.sheets import (
    BonusInput,
    LineInput,
    SheetView,
    check_line,
    enter_lines,
    find_sheet,
    load_view,
    set_bonus,
    set_questionnaire_points,
)
from workflow.assessment.standard import STANDARD
from workflow.core.errors import InvalidInput, Refused
from workflow.core.i18n import current_language, workflow_texts
from workflow.core.settings import Settings
from workflow.core.spreadsheets import open_workbook, save_workbook
from workflow.guidance.desk import IndicatorDesk, build_desk
from workflow.registry.values import is_blank, read_yes_no

TITLE_ROW, AGENCY_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3, 4
AGENCY_ID_CELL, AGENCY_NAME_CELL, YEAR_CELL = "B2", "C2", "E2"
COLUMNS = (
    "section",
    "code",
    "indicator",
    "method",
    "max",
    "content",
    "evidence",
    "effect",
    "points",
    "note",
    "facts",
)
WIDTHS = (14, 7, 60, 10, 10, 10, 10, 24, 8, 30, 40)
COL = {name: index + 1 for index, name in enumerate(COLUMNS)}
_INDICATOR_CODE = re.compile(r"^\d+\.\d+$")
_BONUS_CODE = re.compile(r"^B\d+$")
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="center")
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAPPED_COLUMNS = (COL["indicator"], COL["effect"], COL["note"], COL["facts"])
_SUGGESTED = PatternFill("solid", start_color="FFF2CC", end_color="FFF2CC")


def _add_styles(book: Workbook) -> None:
    """Named styles: assigning one per cell costs half of setting border and alignment."""
    book.add_named_style(NamedStyle("sc_text", border=_BOX, alignment=_WRAP))
    book.add_named_style(NamedStyle("sc_centre", border=_BOX, alignment=_CENTRE))
    book.add_named_style(
        NamedStyle("sc_header", font=Font(bold=True), border=_BOX, alignment=_CENTRE)
    )
    book.add_named_style(NamedStyle("sc_bold", font=Font(bold=True)))
    book.add_named_style(
        NamedStyle("sc_suggested", border=_BOX, alignment=_CENTRE, fill=_SUGGESTED)
    )


def _t(key: str, language: str, **params: object) -> str:
    return workflow_texts.text(f"assessment.xlsx.{key}", language, **params)


def _yes_no(value: bool | None, language: str) -> str:
    return "" if value is None else _t("yes" if value else "no", language)


def write_sheet(
    agency_id: int,
    agency_name: str,
    year: int,
    view: SheetView | None,
    policy: Policy | None = None,
    language: str | None = None,
    facts: Mapping[str, IndicatorDesk] | None = None,
) -> Workbook:
    """The official table for one agency and year, filled from `view` (blank without one);
    with `facts` (the experts' desk) column K and the pre-filled suggestions."""
    language = language or current_language()
    # A finalised sheet shows the policy it was finalised with (e.g. what B4 was worth).
    policy = view.effective_policy(policy) if view else policy or DEFAULT_POLICY
    book = Workbook()
    _add_styles(book)
    ws = book.active
    assert ws is not None
    ws.title = str(year)
    for index, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width

    ws.cell(TITLE_ROW, 1, STANDARD.title(language)).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=len(COLUMNS))
    ws.cell(AGENCY_ROW, 1, _t("agency", language))
    ws[AGENCY_ID_CELL] = agency_id
    ws[AGENCY_NAME_CELL] = agency_name
    ws.cell(AGENCY_ROW, 4, _t("year", language))
    ws[YEAR_CELL] = year
    _header(ws, HEADER_ROW, [_t(f"col.{name}", language) for name in COLUMNS])

    row = _indicator_rows(ws, FIRST_ROW, view, language, facts or {})
    row = _bonus_rows(ws, row, view, policy, language)
    evaluation = view.evaluation(policy) if view else None
    row = _totals(ws, row, evaluation, language)
    notes = [*STANDARD.notes(language), _no_evidence_note(policy, language)]
    if facts:
        notes.append(_t("suggestion_note", language))
    for note in notes:
        ws.cell(row, 1, note).alignment = _WRAP
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(COLUMNS))
        row += 1
    ws.freeze_panes = ws.cell(FIRST_ROW, 1)
    return book


def _no_evidence_note(policy: Policy, language: str) -> str:
    """The policy's cap for an indicator without evidence, said under the table's notes."""
    fraction = policy.no_evidence_fraction
    if fraction >= 1:
        return _t("no_evidence_uncapped", language)
    return _t("no_evidence_note", language, share=share_text(fraction))


def _indicator_rows(
    ws: Worksheet,
    row: int,
    view: SheetView | None,
    language: str,
    facts: Mapping[str, IndicatorDesk],
) -> int:
    """The 17 indicators from `row`, each section merged down column A; the next free row."""
    lines = view.lines if view else {}
    first_row = row
    for section in STANDARD.sections:
        first = row
        for indicator in STANDARD.in_section(section.number):
            line = lines.get(indicator.code)
            values: list[object] = [
                f"{section.name(language)}\n({_t('points_total', language, points=section.max)})",
                indicator.code,
                indicator.text(language),
                _t(f"method.{indicator.method}", language),
                _t("points_total", language, points=indicator.max),
                _yes_no(line.content_present, language) if line else None,
                _yes_no(line.evidence_present, language) if line else None,
                line.effect if line else None,
                line.points if line else None,
                line.note if line else None,
                _facts_text(facts.get(indicator.code), language),
            ]
            _row(ws, row, values)
            desk = facts.get(indicator.code)
            if desk is not None and (line is None or line.content_present is None):
                _suggest(ws, row, desk, language)
            row += 1
        ws.merge_cells(start_row=first, start_column=1, end_row=row - 1, end_column=1)
    answers = DataValidation(
        type="list", formula1=f'"{_t("yes", language)},{_t("no", language)}"', allow_blank=False
    )
    ws.add_data_validation(answers)
    answers.add(f"F{first_row}:G{row - 1}")
    return row


def _facts_text(desk: IndicatorDesk | None, language: str) -> str | None:
    """Column K: what was recorded and the system's suggestion."""
    if desk is None or desk.content is None:
        return None
    return f"{desk.short(language)}\n{desk.suggestion(language)}"


def _suggest(ws: Worksheet, row: int, desk: IndicatorDesk, language: str) -> None:
    """Pre-fill F and G with the desk's suggestion, coloured and commented as such."""
    for name, value in (("content", desk.content), ("evidence", desk.evidence)):
        cell = ws.cell(row, COL[name], _yes_no(value, language))
        cell.style = "sc_suggested"
        cell.comment = Comment(_t("suggested", language), "safecomm")


def _bonus_rows(
    ws: Worksheet, row: int, view: SheetView | None, policy: Policy, language: str
) -> int:
    """The bonus header and items B1–B4 from `row` (count in F, evidence in J); the next row."""
    _header(ws, row, [_t(f"bonus_col.{name}", language) for name in COLUMNS])
    row += 1
    first = row
    counts = view.bonus_counts if view else {}
    for item in STANDARD.bonus:
        count = counts.get(item.code)
        per_case = bonus_points_per_case(item.code, policy)
        _row(
            ws,
            row,
            [
                _t("bonus", language),
                item.code,
                item.text(language),
                _t("method.materials", language),
                item.unit(language, per_case),
                count,
                None,
                None,
                count * per_case if count else None,
                _bonus_evidence(view, item.code) if count and view else None,
            ],
        )
        row += 1
    ws.merge_cells(start_row=first, start_column=1, end_row=row - 1, end_column=1)
    return row


def _bonus_evidence(view: SheetView, code: str) -> str:
    """The evidence of an item's cases, one per line: each case's title and evidence, then
    the evidence of a legacy count."""
    parts = [f"{a.title}：{a.evidence}" for a in view.awards if a.code == code]
    if code in view.bonus and view.bonus[code].evidence:
        parts.append(view.bonus[code].evidence)
    return "\n".join(parts)


def _header(ws: Worksheet, row: int, labels: list[str]) -> None:
    for column, label in enumerate(labels, start=1):
        ws.cell(row, column, label or None).style = "sc_header"


def _row(ws: Worksheet, row: int, values: list[object]) -> None:
    for column, value in enumerate(values, start=1):
        ws.cell(row, column, value).style = "sc_text" if column in WRAPPED_COLUMNS else "sc_centre"


def _totals(ws: Worksheet, row: int, evaluation: Evaluation | None, language: str) -> int:
    """Base, bonus, final, grade, pass/fail and the reason; blank while points are missing."""
    values: list[tuple[str, object]] = [
        ("base", evaluation.base if evaluation else None),
        ("bonus_total", evaluation.bonus if evaluation else None),
        ("final", evaluation.final if evaluation else None),
        ("grade", evaluation.grade_text(language) if evaluation else None),
        (
            "result",
            _t("passed" if evaluation.passed else "failed", language) if evaluation else None,
        ),
        ("reason", evaluation.reason(language) if evaluation else None),
    ]
    for key, value in values:
        ws.cell(row, 1, _t(key, language)).style = "sc_bold"
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=COL["points"] - 1)
        ws.cell(row, COL["points"], value).style = "sc_bold"
        ws.merge_cells(
            start_row=row, start_column=COL["points"], end_row=row, end_column=len(COLUMNS)
        )
        row += 1
    return row


def export_sheet(
    session: Session,
    agency_id: int,
    agency_name: str,
    year: int,
    target: Path | IO[bytes],
    policy: Policy | None = None,
    *,
    settings: Settings | None = None,
) -> ScoreSheet | None:
    """Write the agency's sheet for `year` (or a blank form for the experts) to `target`;
    with `settings`, beside each materials indicator the desk's facts and suggestions."""
    sheet = find_sheet(session, agency_id, year)
    view = load_view(session, sheet) if sheet else None
    facts = None
    if settings is not None:
        desk = build_desk(session, agency_id, year, settings)
        facts = {item.code: item for item in desk.indicators}
    book = write_sheet(agency_id, agency_name, year, view, policy, facts=facts)
    save_workbook(book, target)
    return sheet


@dataclass
class FilledSheet:
    """What a filled spreadsheet says, already checked cell by cell."""

    agency_id: int
    year: int
    lines: dict[str, LineInput] = field(default_factory=dict)
    questionnaire: dict[str, int] = field(default_factory=dict)
    bonus: dict[str, BonusInput] = field(default_factory=dict)


class _Reader:
    """One worksheet being read: its cells by row and column name, and the bad cells found."""

    def __init__(self, ws: Worksheet, language: str, policy: Policy) -> None:
        self.ws = ws
        self.language = language
        self.policy = policy
        self.problems: list[str] = []

    def cell(self, row: int, name: str) -> object:
        return self.ws.cell(row, COL[name]).value

    def problem(self, row: int, column: int, key: str, **params: object) -> None:
        where = _t("cell", self.language, cell=f"{get_column_letter(column)}{row}")
        message = workflow_texts.text(key, self.language, **params).rstrip("。.")
        self.problems.append(f"{where}{message}")

    def present(self, row: int, name: str) -> bool | None:
        """有/无; None, and a problem, for a blank or anything else (评分说明二: recorded
        explicitly, no default)."""
        value = self.cell(row, name)
        if is_blank(value):
            column = _t(f"col.{name}", self.language)
            self.problem(row, COL[name], "assessment.import.yes_no_blank", label=column)
            return None
        answer = read_yes_no(value)
        if answer is None:
            self.problem(row, COL[name], "assessment.import.yes_no", value=_text(value))
        return answer

    def number(
        self, row: int, code: str, name: str, check: Callable[[str, object], int]
    ) -> int | None:
        """A whole number the standard accepts for `code`; None, and a problem, otherwise."""
        raw = self.cell(row, name)
        value = _whole(raw)
        if value is None:
            self.problem(row, COL[name], "assessment.import.not_whole", value=_text(raw))
            return None
        try:
            return check(code, value)
        except ScoreError as error:
            self.problem(row, COL[name], error.key, **error.params)
            return None

    def code_rows(self) -> dict[str, int]:
        """The row of each indicator and bonus code in column B; unknown, repeated and missing
        codes are problems."""
        rows: dict[str, int] = {}
        for row in range(FIRST_ROW, self.ws.max_row + 1):
            code = _text(self.cell(row, "code")).upper()
            if code in STANDARD.codes or code in STANDARD.bonus_codes:
                if code in rows:
                    self.problem(row, COL["code"], "assessment.import.repeated", code=code)
                rows[code] = row
            elif _INDICATOR_CODE.match(code):
                self.problem(row, COL["code"], "assessment.unknown_indicator", code=code)
            elif _BONUS_CODE.match(code):
                self.problem(row, COL["code"], "assessment.unknown_bonus", code=code)
        for code in (*STANDARD.codes, *STANDARD.bonus_codes):
            if code not in rows:
                self.problems.append(
                    workflow_texts.text("assessment.import.missing_row", self.language, code=code)
                )
        return rows

    def line(self, row: int, code: str) -> LineInput | None:
        """A materials row as the experts' judgement, or None when a cell is bad."""
        content, evidence = self.present(row, "content"), self.present(row, "evidence")
        blank = not _text(self.cell(row, "points"))
        value = None if blank else self.number(row, code, "points", check_points)
        if content is None or evidence is None:
            if blank and content is not False:
                self.problem(row, COL["points"], "assessment.points_required", code=code)
            return None
        if not blank and value is None:
            return None
        line = LineInput(
            points=value,
            content_present=content,
            evidence_present=evidence,
            effect=_text(self.cell(row, "effect")),
            note=_text(self.cell(row, "note")),
        )
        try:
            check_line(code, line, self.policy)
        except InvalidInput as error:
            self.problem(row, COL["points"], error.key, **error.params)
            return None
        return line

    def questionnaire(self, rows: dict[str, int]) -> dict[str, int]:
        """3.1–3.5 when filled (all five or none), else empty."""
        found = {code: rows[code] for code in STANDARD.questionnaire_codes if code in rows}
        if not any(_text(self.cell(row, "points")) for row in found.values()):
            return {}
        points: dict[str, int] = {}
        for code, row in found.items():
            if not _text(self.cell(row, "points")):
                self.problem(row, COL["points"], "assessment.import.questionnaire_partial")
            elif (value := self.number(row, code, "points", check_points)) is not None:
                points[code] = value
        return points

    def bonus(self, row: int, code: str) -> BonusInput | None:
        """A bonus row (count in F, evidence in J; blank count = 0), or None when bad."""
        raw = self.cell(row, "content")
        count = self.number(row, code, "content", check_bonus_count) if _text(raw) else 0
        evidence = _text(self.cell(row, "note"))
        if count and not evidence:
            self.problem(row, COL["note"], "assessment.bonus_evidence_required", code=code)
            return None
        return None if count is None else BonusInput(count=count, evidence=evidence)


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _whole(value: object) -> int | None:
    """A spreadsheet number as whole points; None if it is not a whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return parse_whole(_text(value))


def read_sheet(
    source: Path | IO[bytes], language: str | None = None, policy: Policy | None = None
) -> FilledSheet:
    """Read a filled sheet; raise `InvalidInput` listing every bad cell (row and column).
    `policy` (the settings) gives the no-evidence cap."""
    language = language or current_language()
    with open_workbook(source, read_only=False) as book:  # cells are read by address
        reader = _Reader(book.worksheets[0], language, policy or DEFAULT_POLICY)
    agency_id, year = _whole(reader.ws[AGENCY_ID_CELL].value), _whole(reader.ws[YEAR_CELL].value)
    if agency_id is None:
        value = _text(reader.ws[AGENCY_ID_CELL].value)
        reader.problem(AGENCY_ROW, 2, "assessment.import.not_whole", value=value)
    if year is None:
        value = _text(reader.ws[YEAR_CELL].value)
        reader.problem(AGENCY_ROW, 5, "assessment.import.not_whole", value=value)
    filled = FilledSheet(agency_id=agency_id or 0, year=year or 0)
    rows = reader.code_rows()
    filled.questionnaire = reader.questionnaire(rows)
    materials = [code for code in STANDARD.codes if code not in STANDARD.questionnaire_codes]
    for code in materials:
        if code in rows and (line := reader.line(rows[code], code)) is not None:
            filled.lines[code] = line
    for code in STANDARD.bonus_codes:
        if code in rows and (entry := reader.bonus(rows[code], code)) is not None:
            filled.bonus[code] = entry
    if reader.problems:
        raise InvalidInput("assessment.import.errors", problems="；".join(reader.problems))
    return filled


def save_filled(
    session: Session, filled: FilledSheet, *, actor: str, policy: Policy | None = None
) -> ScoreSheet:
    """Write a checked spreadsheet into the agency's sheet (the caller's transaction commits).

    The questionnaire rows are written only when filled and different from what
    the sheet holds, so points that came from the survey keep their source.
    """
    sheet = enter_lines(
        session, filled.agency_id, filled.year, filled.lines, actor=actor, policy=policy
    )
    _save_bonus(session, sheet, filled.bonus, actor=actor)
    if filled.questionnaire:
        current = load_view(session, sheet).points
        if any(current.get(code) != value for code, value in filled.questionnaire.items()):
            set_questionnaire_points(
                session,
                filled.agency_id,
                filled.year,
                filled.questionnaire,
                source="admin",
                actor=actor,
            )
    return sheet


def _save_bonus(
    session: Session, sheet: ScoreSheet, bonus: dict[str, BonusInput], *, actor: str
) -> None:
    """The bonus rows: a count equal to the recorded one changes nothing; a lower one lowers
    the legacy count; a higher one is refused (cases are recorded one by one, Art. 13)."""
    view = load_view(session, sheet)
    counts = view.bonus_counts
    changed: dict[str, BonusInput] = {}
    for code, given in bonus.items():
        if given.count == counts.get(code, 0):
            continue
        legacy = given.count - sum(1 for award in view.awards if award.code == code)
        if legacy < 0:
            raise Refused("assessment.bonus.count_only", code=code)
        changed[code] = BonusInput(legacy, given.evidence)
    if changed:
        set_bonus(session, sheet.agency_id, sheet.year, changed, actor=actor)


def import_sheet(
    session: Session,
    source: Path | IO[bytes],
    *,
    actor: str,
    language: str | None = None,
    policy: Policy | None = None,
) -> ScoreSheet:
    """`read_sheet` then `save_filled`: nothing is written unless the whole file is clean."""
    filled = read_sheet(source, language, policy)
    return save_filled(session, filled, actor=actor, policy=policy)
