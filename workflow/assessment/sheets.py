"""Score sheets: one per (agency, year), one line per indicator, the bonus entries.

Every function here validates all of its input before it writes anything and
only flushes: the caller's unit of work (`workflow.core.db.transaction`) commits,
so a refusal leaves nothing half-written. A finalised sheet refuses every
edit. The questionnaire section (3.1–3.5) is written only through
`set_questionnaire_points`, by the survey aggregation or by an admin.

Finalising stores the policy values in effect on the sheet; every later
evaluation of that sheet uses them, not the current settings: a published
result and the exit decisions based on it do not change when an admin changes
a policy afterwards. Drafts are evaluated with the current settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workflow.assessment.evaluation import (
    DEFAULT_POLICY,
    Evaluation,
    Policy,
    ScoreError,
    check_bonus_count,
    check_points,
    evaluate,
    no_evidence_cap,
    share_text,
)
from workflow.assessment.models import (
    QUESTIONNAIRE_SOURCES,
    BonusAward,
    BonusEntry,
    QuestionnaireSource,
    ScoreLine,
    ScoreSheet,
)
from workflow.assessment.standard import STANDARD
from workflow.community import campaigns
from workflow.core.clock import utcnow
from workflow.core.errors import Conflict, InvalidInput, NotFound, Refused
from workflow.core.text import clean_note
from workflow.lifecycle.states import HOLDING
from workflow.registry.models import Agency


@dataclass(frozen=True)
class LineInput:
    """What an expert records for one materials indicator: the three-part judgement
    (评分说明二: 有无此项内容、有无证据、效果) and the points.

    Content and evidence have no default: None means "not recorded", which is refused.
    """

    points: int | None = None
    content_present: bool | None = None
    evidence_present: bool | None = None
    effect: str = ""
    note: str = ""


@dataclass(frozen=True)
class BonusInput:
    """A legacy bonus count with the description of its evidence (required when count > 0);
    new bonus cases are recorded one by one (`workflow.assessment.bonus`)."""

    count: int
    evidence: str = ""


@dataclass(frozen=True)
class SheetView:
    """A sheet with its lines, legacy bonus counts and bonus cases, loaded together."""

    sheet: ScoreSheet
    lines: dict[str, ScoreLine]
    bonus: dict[str, BonusEntry]
    awards: list[BonusAward] = field(default_factory=list)

    @property
    def points(self) -> dict[str, int]:
        return {code: line.points for code, line in self.lines.items()}

    @property
    def bonus_counts(self) -> dict[str, int]:
        """Cases per bonus item: the legacy count plus the cases recorded one by one."""
        counts = {code: entry.count for code, entry in self.bonus.items()}
        for award in self.awards:
            counts[award.code] = counts.get(award.code, 0) + 1
        return counts

    @property
    def missing(self) -> list[str]:
        """Indicator codes without points yet, in table order."""
        return [code for code in STANDARD.codes if code not in self.lines]

    @property
    def questionnaire_empty(self) -> bool:
        return not any(code in self.lines for code in STANDARD.questionnaire_codes)

    def effective_policy(self, current: Policy | None = None) -> Policy:
        """The policy this sheet is evaluated with: the one stored when it was finalised,
        else `current` (the settings; their defaults without)."""
        stored = self.sheet.finalised_policy()
        return stored if stored is not None else (current or DEFAULT_POLICY)

    def evaluation(self, policy: Policy | None = None) -> Evaluation | None:
        """The evaluation once every indicator has points, else None.

        `policy` (the current settings) applies to a draft only: a finalised sheet is
        evaluated with the policy stored when it was finalised.
        """
        if self.missing:
            return None
        return evaluate(self.points, self.bonus_counts, policy=self.effective_policy(policy))


def find_sheet(
    session: Session, agency_id: int, year: int, *, for_update: bool = False
) -> ScoreSheet | None:
    """The agency's sheet for `year`; `for_update` locks the row (PostgreSQL) against a
    concurrent finalise or edit until the transaction ends."""
    query = select(ScoreSheet).where(ScoreSheet.agency_id == agency_id, ScoreSheet.year == year)
    return session.exec(query.with_for_update() if for_update else query).first()


def load_view(session: Session, sheet: ScoreSheet) -> SheetView:
    return load_views(session, [sheet])[0]


def sheet_view(
    session: Session, agency_id: int, year: int, *, for_update: bool = False
) -> SheetView:
    """The agency's sheet for `year` with its lines, or NotFound."""
    sheet = find_sheet(session, agency_id, campaigns.check_year(year), for_update=for_update)
    if sheet is None:
        raise NotFound("assessment.no_sheet", agency=agency_id, year=year)
    return load_view(session, sheet)


def editable_sheet(session: Session, agency_id: int, year: int, actor: str) -> ScoreSheet:
    """The sheet to edit, created on first use; refused once finalised."""
    campaigns.check_year(year)
    if session.get(Agency, agency_id) is None:
        raise NotFound("assessment.no_agency", agency=agency_id)
    sheet = find_sheet(session, agency_id, year, for_update=True)
    if sheet is None:
        sheet = ScoreSheet(agency_id=agency_id, year=year, created_by=actor)
        session.add(sheet)
        try:
            session.flush()
        except IntegrityError:  # somebody created it at the same moment
            raise Conflict("assessment.changed_meanwhile", agency=agency_id, year=year) from None
    elif sheet.finalised_at is not None:
        raise Refused("assessment.finalised", agency=agency_id, year=year)
    return sheet


def check_line(code: str, line: LineInput, policy: Policy | None = None) -> int:
    """The points a materials line stores (评分说明二): content and evidence recorded
    explicitly; "no content" means 0 and nothing else; "no evidence" at most the policy
    share of the maximum (`no_evidence_fraction`, default half, rounded down)."""
    if code not in STANDARD.codes:
        raise ScoreError("assessment.unknown_indicator", code=code)
    if code in STANDARD.questionnaire_codes:
        raise InvalidInput("assessment.questionnaire_line", code=code)
    if line.content_present is None:
        raise InvalidInput("assessment.content_required", code=code)
    if line.evidence_present is None:
        raise InvalidInput("assessment.evidence_required", code=code)
    if not line.content_present:
        if line.points not in (None, 0):
            raise InvalidInput("assessment.no_content_points", code=code, value=line.points)
        return 0
    if line.points is None:
        raise InvalidInput("assessment.points_required", code=code)
    points = check_points(code, line.points)
    if not line.evidence_present:
        check_evidence_cap(code, points, policy)
    return points


def check_evidence_cap(code: str, points: int, policy: Policy | None = None) -> None:
    """Refuse more points than an indicator without evidence may get."""
    fraction = (policy or DEFAULT_POLICY).no_evidence_fraction
    maximum = STANDARD.indicator(code).max
    cap = no_evidence_cap(maximum, fraction)
    if points > cap:
        raise InvalidInput(
            "assessment.no_evidence_points",
            code=code,
            value=points,
            cap=cap,
            max=maximum,
            share=share_text(fraction),
        )


def check_bonus(code: str, entry: BonusInput) -> int:
    count = check_bonus_count(code, entry.count)
    evidence = clean_note(entry.evidence, field="evidence")
    if count > 0 and not evidence:
        raise InvalidInput("assessment.bonus_evidence_required", code=code)
    return count


def _write_lines(
    session: Session, sheet: ScoreSheet, values: Mapping[str, dict[str, object]]
) -> None:
    """Insert or update the sheet's lines for the given codes (one query for the existing ones)."""
    assert sheet.id is not None
    existing = {
        line.code: line
        for line in session.exec(
            select(ScoreLine).where(ScoreLine.sheet_id == sheet.id, col(ScoreLine.code).in_(values))
        )
    }
    for code, fields in values.items():
        line = existing.get(code)
        if line is None:
            line = ScoreLine(sheet_id=sheet.id, code=code, **fields)  # type: ignore[arg-type]
        else:
            for name, value in fields.items():
                setattr(line, name, value)
            line.entered_at = utcnow()
        session.add(line)


def enter_lines(
    session: Session,
    agency_id: int,
    year: int,
    lines: Mapping[str, LineInput],
    *,
    actor: str,
    policy: Policy | None = None,
) -> ScoreSheet:
    """Record the experts' judgement of materials indicators (all checked before any is
    written); `policy` (the settings) gives the no-evidence cap."""
    points = {code: check_line(code, line, policy) for code, line in lines.items()}
    sheet = editable_sheet(session, agency_id, year, actor)
    values: dict[str, dict[str, object]] = {
        code: {
            "content_present": line.content_present,
            "evidence_present": line.evidence_present,
            "effect": clean_note(line.effect, field="effect"),
            "points": points[code],
            "note": clean_note(line.note, field="note"),
            "entered_by": actor,
        }
        for code, line in lines.items()
    }
    _write_lines(session, sheet, values)
    session.flush()
    return sheet


def set_bonus(
    session: Session, agency_id: int, year: int, entries: Mapping[str, BonusInput], *, actor: str
) -> ScoreSheet:
    """Lower or remove legacy bonus counts (a count of 0 removes the entry); a count above
    the one recorded is refused: bonus cases are recorded one by one, per creation unit
    and title (`workflow.assessment.bonus.add_award`, Art. 13)."""
    counts = {code: check_bonus(code, entry) for code, entry in entries.items()}
    sheet = editable_sheet(session, agency_id, year, actor)
    assert sheet.id is not None
    existing = {
        entry.code: entry
        for entry in session.exec(
            select(BonusEntry).where(
                BonusEntry.sheet_id == sheet.id, col(BonusEntry.code).in_(entries)
            )
        )
    }
    for code in entries:
        recorded = existing[code].count if code in existing else 0
        if counts[code] > recorded:
            raise Refused("assessment.bonus.count_only", code=code)
    for code, given in entries.items():
        entry = existing.get(code)
        if not counts[code]:
            if entry is not None:
                session.delete(entry)
            continue
        if entry is None:
            entry = BonusEntry(sheet_id=sheet.id, code=code, count=0, entered_by=actor)
        entry.count, entry.evidence = counts[code], given.evidence.strip()
        entry.entered_by, entry.entered_at = actor, utcnow()
        session.add(entry)
    session.flush()
    return sheet


def set_questionnaire_points(
    session: Session,
    agency_id: int,
    year: int,
    points: Mapping[str, int],
    *,
    source: QuestionnaireSource,
    actor: str,
) -> ScoreSheet:
    """Fill the questionnaire section 3.1–3.5 (all five) from the survey or an admin's entry."""
    if source not in QUESTIONNAIRE_SOURCES:
        raise InvalidInput("assessment.bad_source", source=source)
    wanted = STANDARD.questionnaire_codes
    others = sorted(set(points) - set(wanted))
    if others:
        raise InvalidInput("assessment.not_questionnaire", code=others[0])
    missing = [code for code in wanted if code not in points]
    if missing:
        raise InvalidInput("assessment.missing_indicator", code=missing[0])
    checked = {code: check_points(code, points[code]) for code in wanted}
    sheet = editable_sheet(session, agency_id, year, actor)
    fields = {"content_present": None, "evidence_present": None, "effect": "", "note": ""}
    _write_lines(
        session,
        sheet,
        {code: {**fields, "points": checked[code], "entered_by": actor} for code in wanted},
    )
    sheet.questionnaire_source = source
    sheet.questionnaire_set_by = actor
    sheet.questionnaire_set_at = utcnow()
    session.add(sheet)
    session.flush()
    return sheet


def check_complete(view: SheetView, policy: Policy | None = None) -> None:
    """Refuse to finalise while the questionnaire section is empty, any indicator is
    missing, or a line without evidence has more points than `policy` allows now (the
    setting may have changed since the line was entered)."""
    if view.questionnaire_empty:
        raise Refused("assessment.questionnaire_empty")
    if view.missing:
        raise Refused("assessment.incomplete", codes=", ".join(view.missing))
    for code in STANDARD.codes:
        line = view.lines[code]
        if line.evidence_present is False and line.content_present:
            check_evidence_cap(code, line.points, policy)


def lock(
    session: Session, agency_id: int, year: int, actor: str, policy: Policy | None = None
) -> SheetView:
    """Mark a complete sheet finalised and store `policy` (the settings in effect; their
    defaults without) on it (the lifecycle step is `finalising.finalise`)."""
    view = sheet_view(session, agency_id, year, for_update=True)
    if view.sheet.finalised_at is not None:
        raise Refused("assessment.finalised", agency=agency_id, year=year)
    check_complete(view, policy)
    view.sheet.finalised_at = utcnow()
    view.sheet.finalised_by = actor
    view.sheet.store_policy(policy or DEFAULT_POLICY)
    session.add(view.sheet)
    session.flush()
    return view


def finalised_views(session: Session, year: int) -> list[SheetView]:
    """Every finalised sheet of `year` with its lines (four queries, whatever the count)."""
    sheets = session.exec(
        select(ScoreSheet).where(ScoreSheet.year == year, col(ScoreSheet.finalised_at).is_not(None))
    ).all()
    return load_views(session, sheets)


def load_views(session: Session, sheets: Iterable[ScoreSheet]) -> list[SheetView]:
    by_id = {sheet.id: SheetView(sheet, {}, {}) for sheet in sheets}
    if not by_id:
        return []
    ids = list(by_id)
    for line in session.exec(select(ScoreLine).where(col(ScoreLine.sheet_id).in_(ids))):
        by_id[line.sheet_id].lines[line.code] = line
    for entry in session.exec(select(BonusEntry).where(col(BonusEntry.sheet_id).in_(ids))):
        by_id[entry.sheet_id].bonus[entry.code] = entry
    awards = select(BonusAward).where(col(BonusAward.sheet_id).in_(ids))
    for award in session.exec(awards.order_by(col(BonusAward.code), col(BonusAward.id))):
        by_id[award.sheet_id].awards.append(award)
    return list(by_id.values())


def agencies_for_sheets(session: Session, year: int) -> list[Agency]:
    """Agencies with a sheet for `year`, or awaiting one: every agency holding the
    status (filed, assessed, retained), by id."""
    with_sheet = select(ScoreSheet.agency_id).where(ScoreSheet.year == year)
    query = select(Agency).where(col(Agency.id).in_(with_sheet) | col(Agency.status).in_(HOLDING))
    return list(session.exec(query.order_by(col(Agency.id))).all())
