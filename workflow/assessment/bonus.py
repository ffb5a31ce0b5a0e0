"""Bonus cases (Art. 13): recorded one by one, per creation unit and title, base or project.

- B1 a guided creation unit named 北京市安全社区 or 北京市综合减灾示范社区 (1 point per unit
  per title), B2 named 全国综合减灾示范社区 or 国际安全社区 (2 points per unit per title):
  the unit, the title from that list, the evidence;
- B3 a public-safety education base set up in a guided unit (3 points per base): the
  unit, the base's name, the evidence;
- B4 a project the agency planned, promoted city-wide (policy points per project): the
  project's name, the unit where it was planned if any, the evidence.

The same unit's same title (the same base, the same project) counts once, for one
agency, in the year it was conferred: the sheet of that year. A second record, on any
agency's sheet of any year, is refused and names the agency and year that already
have it. The unit must have been guided by the agency in that year (a guidance record).

Count-only entries (`BonusEntry`, before revision 0014) are kept as legacy counts and
still count; no new one is recorded (`sheets.set_bonus` only lowers or removes them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workflow.assessment.evaluation import BONUS_COUNT_MAX
from workflow.assessment.models import BonusAward, ScoreSheet
from workflow.assessment.sheets import editable_sheet, load_view
from workflow.assessment.standard import STANDARD
from workflow.community.models import CreationUnit, Guidance
from workflow.core.errors import Conflict, InvalidInput, NotFound, Refused
from workflow.core.text import clean_name, clean_note
from workflow.registry.models import Agency

TITLES: dict[str, tuple[str, ...]] = {
    "B1": ("北京市安全社区", "北京市综合减灾示范社区"),
    "B2": ("全国综合减灾示范社区", "国际安全社区"),
}
"""The titles B1 and B2 count (Art. 13(1), the table's bonus items)."""

ALIASES: dict[str, str] = {
    "市级安全社区": "北京市安全社区",
    "北京市级安全社区": "北京市安全社区",
    "市级综合减灾示范社区": "北京市综合减灾示范社区",
    "北京市综合减灾社区": "北京市综合减灾示范社区",
    "全国综合减灾社区": "全国综合减灾示范社区",
    "国家级综合减灾示范社区": "全国综合减灾示范社区",
}
"""Other names people type for the titles."""

UNIT_REQUIRED = ("B1", "B2", "B3")
"""Items counted per creation unit: the unit is required (B4 counts per project)."""

TITLE_MAX = 200
"""The longest title, base or project name (the column's length)."""

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class AwardInput:
    """One bonus case as typed: the item, the unit (id; None only for B4), the title /
    base / project, the evidence."""

    code: str
    unit_id: int | None
    title: str
    evidence: str


def normalise(text: str) -> str:
    """The title as compared: spaces removed, full-width brackets as typed otherwise."""
    return _SPACE.sub("", text or "")


def canonical_title(code: str, title: str) -> str:
    """The title stored: for B1/B2 one of `TITLES` (aliases accepted), else the text."""
    text = clean_name(normalise(title), field="title", limit=TITLE_MAX)
    if not text:
        raise InvalidInput(f"assessment.bonus.{code.lower()}_title_required", code=code)
    if code in TITLES:
        text = ALIASES.get(text, text)
        if text not in TITLES[code]:
            raise InvalidInput(
                "assessment.bonus.unknown_title",
                code=code,
                title=title.strip(),
                titles="、".join(TITLES[code]),
            )
    return text


def claim_of(code: str, agency_id: int, unit_id: int | None, title: str) -> str:
    """What must be unique per item: the unit and the title (base); B4: the agency's
    project (two agencies' projects may share a name)."""
    owner = f"agency{agency_id}|" if code == "B4" else ""
    return f"{owner}{unit_id or ''}|{title}"[:250]


def check_award(session: Session, agency_id: int, year: int, given: AwardInput) -> AwardInput:
    """The case as it will be stored, or the refusal: known item, the unit guided by the
    agency in `year`, a title, evidence."""
    code = given.code.strip().upper()
    if code not in STANDARD.bonus_codes:
        raise InvalidInput("assessment.unknown_bonus", code=given.code)
    if given.unit_id is None and code in UNIT_REQUIRED:
        raise InvalidInput("assessment.bonus.unit_required", code=code)
    if given.unit_id is not None:
        unit = session.get(CreationUnit, given.unit_id)
        if unit is None:
            raise NotFound("units.not_found", ref=given.unit_id)
        guided = session.exec(
            select(Guidance.id).where(
                Guidance.unit_id == given.unit_id,
                Guidance.agency_id == agency_id,
                Guidance.year == year,
            )
        ).first()
        if guided is None:
            raise Refused("assessment.bonus.not_guided", code=code, unit=unit.name, year=year)
    title = canonical_title(code, given.title)
    evidence = clean_note(given.evidence, field="evidence")
    if not evidence:
        raise InvalidInput("assessment.bonus_evidence_required", code=code)
    return AwardInput(code, given.unit_id, title, evidence)


def _holder(
    session: Session, code: str, claim: str
) -> tuple[BonusAward, ScoreSheet, Agency] | None:
    row = session.exec(
        select(BonusAward, ScoreSheet, Agency)
        .join(ScoreSheet, col(ScoreSheet.id) == col(BonusAward.sheet_id))
        .join(Agency, col(Agency.id) == col(ScoreSheet.agency_id))
        .where(BonusAward.code == code, BonusAward.claim == claim)
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def _check_room(session: Session, sheet: ScoreSheet, code: str) -> None:
    """One more case stays within `BONUS_COUNT_MAX`: a sheet over it could not be graded."""
    count = load_view(session, sheet).bonus_counts.get(code, 0)
    if count >= BONUS_COUNT_MAX:
        raise InvalidInput(
            "assessment.bonus_too_many", code=code, value=count + 1, max=BONUS_COUNT_MAX
        )


def add_award(
    session: Session, agency_id: int, year: int, given: AwardInput, *, actor: str
) -> BonusAward:
    """Record one bonus case on the agency's sheet for `year` (the year it was conferred);
    refused when that unit's title (base, project) is already counted anywhere."""
    if session.get(Agency, agency_id) is None:
        raise NotFound("assessment.no_agency", agency=agency_id)
    case = check_award(session, agency_id, year, given)
    claim = claim_of(case.code, agency_id, case.unit_id, case.title)
    held = _holder(session, case.code, claim)
    if held is not None:
        _award, sheet, holder = held
        raise Refused(
            "assessment.bonus.already_counted",
            code=case.code,
            title=case.title,
            agency=holder.name,
            year=sheet.year,
        )
    sheet = editable_sheet(session, agency_id, year, actor)
    assert sheet.id is not None
    _check_room(session, sheet, case.code)
    award = BonusAward(
        sheet_id=sheet.id,
        code=case.code,
        unit_id=case.unit_id,
        title=case.title,
        claim=claim,
        evidence=case.evidence,
        entered_by=actor,
    )
    session.add(award)
    try:
        session.flush()
    except IntegrityError:  # recorded at the same moment by someone else
        raise Conflict("assessment.changed_meanwhile", agency=agency_id, year=year) from None
    return award


def remove_award(session: Session, award_id: int, *, actor: str) -> BonusAward:
    """Remove a case recorded by mistake (the sheet must still be a draft)."""
    award = session.get(BonusAward, award_id)
    if award is None:
        raise NotFound("assessment.bonus.no_award", award=award_id)
    sheet = session.get(ScoreSheet, award.sheet_id)
    assert sheet is not None
    editable_sheet(session, sheet.agency_id, sheet.year, actor)
    session.delete(award)
    session.flush()
    return award


def awards_of(session: Session, sheet_id: int) -> list[tuple[BonusAward, CreationUnit | None]]:
    """A sheet's cases with their units, by item then entry."""
    query = (
        select(BonusAward, CreationUnit)
        .join(CreationUnit, col(CreationUnit.id) == col(BonusAward.unit_id), isouter=True)
        .where(BonusAward.sheet_id == sheet_id)
        .order_by(col(BonusAward.code), col(BonusAward.id))
    )
    return [(award, unit) for award, unit in session.exec(query).all()]
