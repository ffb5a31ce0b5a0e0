"""Art. 14 after the annual assessment: proposals, and confirmation through the lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.workflow.assessment_builders import (
    ADMIN,
    assessed_agency,
    fill_sheet,
    full_points,
    points_totalling,
)
from workflow.assessment.exits import confirm, propose
from workflow.assessment.finalising import finalise
from workflow.assessment.gate import filing_year
from workflow.core.errors import NotFound
from workflow.core.settings import Settings
from workflow.lifecycle.audit import history
from workflow.lifecycle.engine import GuardsUnmet, advance, available_triggers
from workflow.registry.models import Agency

YEAR = 2026


def _assessed(
    session: Session,
    settings: Settings,
    points: dict[str, int],
    *,
    guided: tuple[int, ...] = (YEAR,),
    filed_at: datetime | None = None,
    year: int = YEAR,
) -> Agency:
    return assessed_agency(session, settings, points, year=year, guided=guided, filed_at=filed_at)


def _proposal(session: Session, settings: Settings, agency: Agency, year: int = YEAR):  # type: ignore[no-untyped-def]
    return next(p for p in propose(session, year, settings) if p.agency_id == agency.id)


def test_qualified_and_active_is_retained_through_the_lifecycle(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine) as session:
        agency = _assessed(session, settings, points_totalling(80))
        proposal = _proposal(session, settings, agency)
        assert (proposal.decision, proposal.ground, proposal.open) == ("retain", None, True)
        entries = confirm(session, YEAR, ADMIN, settings)
        session.commit()
        session.refresh(agency)
        assert agency.status == "retained"
        assert [(e.trigger, e.target) for e in entries] == [("retain", "retained")]
        triggers = [e.trigger for e in history(session, agency.id or 0)]
        assert triggers[-2:] == ["assess", "retain"]
        assert _proposal(session, settings, agency).open is False
        assert confirm(session, YEAR, ADMIN, settings) == []


def test_unqualified_is_withdrawn_with_its_ground(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine) as session:
        points = full_points()
        points["2.4"] = 0
        agency = _assessed(session, settings, points)
        keeper = _assessed(session, settings, points_totalling(75))
        proposal = _proposal(session, settings, agency)
        assert (proposal.decision, proposal.ground) == ("withdraw", "unqualified")
        assert (
            proposal.reason("zh")
            == "2026 年度考核不合格：二级指标 2.4（指导创建单位开展风险辨识工作及设立项目）得 0 分，按评分说明第三条视为不通过"
        )
        confirm(session, YEAR, ADMIN, settings, agency_id=agency.id)
        session.commit()
        session.refresh(agency)
        session.refresh(keeper)
        assert (agency.status, keeper.status) == ("withdrawn", "assessed")
        last = history(session, agency.id or 0)[-1]
        assert (last.trigger, last.ground, last.actor) == ("withdraw", "unqualified", "cli:admin")
        assert "2.4" in last.reason
        with pytest.raises(NotFound):
            confirm(session, YEAR, ADMIN, settings, agency_id=agency.id)


@pytest.mark.parametrize(
    ("guided", "decision"),
    [
        ((YEAR,), "retain"),
        ((YEAR - 1,), "retain"),  # guided last year: one idle year only
        ((YEAR - 2,), "withdraw"),  # idle in 2025 and 2026
        ((), "withdraw"),
        ((YEAR + 1,), "withdraw"),  # next year's work does not count for 2026
    ],
)
def test_two_consecutive_years_without_guidance(
    session: Session, settings: Settings, guided: tuple[int, ...], decision: str
) -> None:
    agency = _assessed(session, settings, points_totalling(85), guided=guided)
    proposal = _proposal(session, settings, agency)
    assert proposal.decision == decision
    if decision == "withdraw":
        assert proposal.ground == "inactive_two_years"
        confirm(session, YEAR, ADMIN, settings)
        session.commit()
        session.refresh(agency)
        assert agency.status == "withdrawn"
        assert history(session, agency.id or 0)[-1].ground == "inactive_two_years"


@pytest.mark.parametrize(
    ("filed_at", "filed_year", "decision"),
    [
        # 2025-12-31 23:30 in Beijing: filed in 2025, so idle 2025 and 2026 counts
        (datetime(2025, 12, 31, 15, 30, tzinfo=UTC), 2025, "withdraw"),
        # 2026-01-01 00:30 in Beijing (still 2025 in UTC): filed in 2026, too new
        (datetime(2025, 12, 31, 16, 30, tzinfo=UTC), 2026, "retain"),
    ],
)
def test_filing_year_is_the_local_year(
    session: Session, settings: Settings, filed_at: datetime, filed_year: int, decision: str
) -> None:
    agency = _assessed(session, settings, points_totalling(85), guided=(), filed_at=filed_at)
    assert filing_year(session, agency.id or 0, YEAR, settings) == filed_year
    assert _proposal(session, settings, agency).decision == decision


def test_next_years_assessment_closes_last_years_proposal(
    session: Session, settings: Settings
) -> None:
    agency = _assessed(
        session, settings, points_totalling(85), guided=(YEAR - 1, YEAR), year=YEAR - 1
    )
    confirm(session, YEAR - 1, ADMIN, settings)
    session.commit()
    fill_sheet(session, agency.id or 0, YEAR, points_totalling(90))
    finalise(session, agency.id or 0, YEAR, ADMIN, settings)
    session.commit()
    assert _proposal(session, settings, agency, YEAR - 1).open is False
    assert _proposal(session, settings, agency, YEAR).open is True
    assert [e.trigger for e in confirm(session, YEAR - 1, ADMIN, settings)] == []


def test_proposals_are_exactly_what_the_lifecycle_guards_allow(
    any_engine: Engine, settings: Settings
) -> None:
    """The lifecycle enforces Art. 14 with the facts the proposals use: each proposed
    decision is accepted, the other Art. 14 (1)/(2) decisions are refused."""
    failed = full_points()
    failed["2.4"] = 0
    recently = datetime(2026, 3, 1, tzinfo=UTC)
    with Session(any_engine, expire_on_commit=False) as session:
        cases = {
            "active": _assessed(session, settings, points_totalling(80)),
            "unqualified": _assessed(session, settings, failed),
            "idle": _assessed(session, settings, points_totalling(85), guided=()),
            "idle_but_new": _assessed(
                session, settings, points_totalling(85), guided=(), filed_at=recently
            ),
            "both": _assessed(session, settings, failed, guided=()),
        }
        expected = {
            "active": ("retain", None),
            "unqualified": ("withdraw", "unqualified"),
            "idle": ("withdraw", "inactive_two_years"),
            "idle_but_new": ("retain", None),
            "both": ("withdraw", "unqualified"),
        }
        proposals = {p.agency_id: p for p in propose(session, YEAR, settings)}
        for name, agency in cases.items():
            proposal = proposals[agency.id or 0]
            assert (proposal.decision, proposal.ground) == expected[name], name
            actions = available_triggers(session, agency, ADMIN, settings=settings, year=YEAR)
            retain = next(a for a in actions if a.trigger == "retain")
            assert retain.allowed == (proposal.decision == "retain"), name
            for ground in ("unqualified", "inactive_two_years"):
                if ground == proposal.ground or name == "both":  # "both": each ground holds
                    continue
                with pytest.raises(GuardsUnmet):
                    advance(
                        session,
                        agency.id or 0,
                        "withdraw",
                        ADMIN,
                        "理由",
                        ground=ground,
                        year=YEAR,
                        settings=settings,
                    )
        entries = confirm(session, YEAR, ADMIN, settings)
        session.commit()
        assert len(entries) == len(cases)
        for name, agency in cases.items():
            session.refresh(agency)
            decision, ground = expected[name]
            assert agency.status == ("retained" if decision == "retain" else "withdrawn"), name
            assert history(session, agency.id or 0)[-1].ground == (ground or "")
