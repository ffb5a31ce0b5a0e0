"""Builders for assessment tests: filed agencies (through the lifecycle) and filled sheets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from tests.builders import make_agency
from workflow.access.actors import Actor
from workflow.assessment.bonus import TITLES, AwardInput, add_award
from workflow.assessment.finalising import finalise
from workflow.assessment.models import Publication
from workflow.assessment.sheets import (
    LineInput,
    enter_lines,
    set_questionnaire_points,
)
from workflow.assessment.standard import STANDARD
from workflow.community.models import CreationUnit, Guidance
from workflow.core.clock import local_date, utcnow
from workflow.core.settings import Settings
from workflow.lifecycle.engine import advance
from workflow.registry.models import Agency
from workflow.rounds.service import create_round, join_round, record_scores

ADMIN = Actor.cli("admin")


def after_questionnaire(year: int) -> datetime:
    """A moment after `year`'s questionnaire has closed (default 20 December): finalising
    is refused before it (RULES: not while the questionnaire is still open)."""
    return datetime(year + 1, 1, 5, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


def new_agency(session: Session, **overrides: Any) -> Agency:
    """`make_agency`, tried again when its random ID-number serials collide inside one
    agency (tests/builders.py draws 3 random digits per consultant: about 1 in 100)."""
    for _ in range(5):
        try:
            return make_agency(session, **overrides)
        except IntegrityError:
            session.rollback()
    raise AssertionError("make_agency kept producing duplicate ID numbers")


def filed_agency(
    session: Session, settings: Settings, *, at: datetime | None = None, **overrides: Any
) -> Agency:
    """An agency taken to `filed` the way the Association does it (round, scores, review,
    interview, filing), every step at `at` (default: now); committed."""
    agency = new_agency(session, **overrides)
    assert agency.id is not None
    the_round = create_round(session, f"round {agency.id}", ADMIN, settings=settings)
    join_round(session, the_round.id or 0, agency.id, ADMIN, settings=settings)
    record_scores(session, agency.id, ADMIN, material=80, settings=settings, now=at)
    advance(session, agency.id, "review", ADMIN, settings=settings, now=at)
    record_scores(session, agency.id, ADMIN, interview=80, settings=settings, now=at)
    advance(session, agency.id, "interview", ADMIN, settings=settings, now=at)
    advance(session, agency.id, "file", ADMIN, settings=settings, now=at)
    session.commit()
    session.refresh(agency)
    return agency


def full_points() -> dict[str, int]:
    """Every indicator at its maximum (base 100)."""
    return {indicator.code: indicator.max for indicator in STANDARD.indicators}


def points_totalling(total: int) -> dict[str, int]:
    """Points with the given base total and no indicator at 0 (17 <= total <= 100)."""
    assert len(STANDARD.codes) <= total <= STANDARD.total
    points = full_points()
    missing = STANDARD.total - total
    for code in reversed(STANDARD.codes):
        cut = min(missing, points[code] - 1)
        points[code] -= cut
        missing -= cut
    return points


def fill_sheet(
    session: Session,
    agency_id: int,
    year: int,
    points: Mapping[str, int],
    bonus: Mapping[str, int] | None = None,
    *,
    source: str = "survey",
) -> None:
    """Enter a whole sheet: materials lines, the questionnaire section, bonus entries; committed."""
    questionnaire = {c: points[c] for c in STANDARD.questionnaire_codes}
    lines = {
        code: LineInput(
            points=value, content_present=value > 0, evidence_present=value > 0, effect="良好"
        )
        for code, value in points.items()
        if code not in questionnaire
    }
    enter_lines(session, agency_id, year, lines, actor="expert")
    set_questionnaire_points(
        session,
        agency_id,
        year,
        questionnaire,
        source=source,
        actor="survey",  # type: ignore[arg-type]
    )
    for code, count in (bonus or {}).items():
        for case in range(1, count + 1):
            add_bonus_case(session, agency_id, year, code, case)
    session.commit()


def add_bonus_case(session: Session, agency_id: int, year: int, code: str, case: int) -> None:
    """One bonus case (Art. 13) on the agency's sheet of `year`: B1–B3 in a new unit the
    agency guided that year, B4 a project of its own."""
    unit_id = None
    if code != "B4":
        unit = CreationUnit(name=f"加分社区{agency_id}-{code}-{case}", district="东城区")
        session.add(unit)
        session.flush()
        assert unit.id is not None
        unit_id = unit.id
        session.add(Guidance(unit_id=unit_id, agency_id=agency_id, year=year))
        session.flush()
    title = TITLES[code][0] if code in TITLES else f"{code} 项目{case}"
    given = AwardInput(code, unit_id, title, f"{code} 佐证材料")
    add_award(session, agency_id, year, given, actor="expert")


def assessed_agency(
    session: Session,
    settings: Settings,
    points: Mapping[str, int],
    *,
    year: int,
    guided: tuple[int, ...] = (),
    filed_at: datetime | None = None,
    bonus: Mapping[str, int] | None = None,
    **overrides: Any,
) -> Agency:
    """An agency (fields `overrides`) filed at `filed_at` (default 2024-05-01), with one
    guided unit in each of the `guided` years, whose sheet of `year` is filled with
    `points` (and `bonus`) and finalised under `settings` (so it is `assessed`); committed."""
    agency = filed_agency(
        session, settings, at=filed_at or datetime(2024, 5, 1, tzinfo=UTC), **overrides
    )
    assert agency.id is not None
    unit = CreationUnit(name=f"社区{agency.id}", district="朝阳区", safe_community=True)
    session.add(unit)
    session.flush()
    assert unit.id is not None
    for guided_year in guided:
        session.add(Guidance(unit_id=unit.id, agency_id=agency.id, year=guided_year))
    session.commit()
    fill_sheet(session, agency.id, year, points, bonus)
    finalise(session, agency.id, year, ADMIN, settings, now=after_questionnaire(year))
    session.commit()
    session.refresh(agency)
    return agency


def publicity_ended(
    session: Session, settings: Settings, year: int, *, now: datetime | None = None
) -> Publication:
    """The year's results published with a 公示 period that ended the day before `now`
    (default: now) (Art. 15), so ground-1 exits may be confirmed then; committed."""
    yesterday = local_date(now or utcnow(), settings.zone) - timedelta(days=1)
    publication = Publication(
        year=year,
        starts=yesterday - timedelta(days=settings.publicity_days),
        ends=yesterday,
        opened_by=ADMIN.key,
    )
    session.add(publication)
    session.commit()
    return publication
