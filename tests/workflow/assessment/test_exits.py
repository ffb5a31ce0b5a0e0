"""Art. 14 after the annual assessment: proposals, and confirmation through the lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.workflow.assessment_builders import (
    ADMIN,
    after_questionnaire,
    assessed_agency,
    filed_agency,
    fill_sheet,
    full_points,
    points_totalling,
    publicity_ended,
)
from workflow.assessment.exits import ExitProposal, confirm, propose
from workflow.assessment.finalising import finalise
from workflow.assessment.gate import filing_year
from workflow.community.models import CreationUnit, Guidance
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
        publicity_ended(session, settings, YEAR)  # Art. 15: ground 1 after the 公示 period
        proposal = _proposal(session, settings, agency)
        assert (proposal.decision, proposal.ground) == ("withdraw", "unqualified")
        assert (
            proposal.reason("zh")
            == "2026年度考核不合格：二级指标 2.4（指导创建单位开展风险辨识工作及设立项目）得 0 分，按评分说明第三条视为不通过"
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
        # 2024-12-31 23:30 in Beijing: filed in 2024, so 2025 and 2026 are full idle years
        (datetime(2024, 12, 31, 15, 30, tzinfo=UTC), 2024, "withdraw"),
        # 2025-01-01 00:30 in Beijing (still 2024 in UTC): filed in 2025, a partial year
        (datetime(2024, 12, 31, 16, 30, tzinfo=UTC), 2025, "retain"),
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
    finalise(session, agency.id or 0, YEAR, ADMIN, settings, now=after_questionnaire(YEAR))
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
        publicity_ended(session, settings, YEAR)  # Art. 15: ground 1 after the 公示 period
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


# --- Art. 14(2) from every holding state --------------------------------------------
# 第十四条第二项：连续两年未开展指导工作的，取消优先推荐资格。An idle agency has no score
# sheet: the ground holds from filed, assessed and retained alike, once two full calendar
# years without a guidance record have passed since filing.

FILED_BEFORE_WINDOW = datetime(2024, 5, 1, tzinfo=UTC)


def _guide(session: Session, agency: Agency, year: int) -> None:
    unit = CreationUnit(name=f"指导社区{agency.id}-{year}", district="朝阳区", safe_community=True)
    session.add(unit)
    session.flush()
    session.add(Guidance(unit_id=unit.id or 0, agency_id=agency.id or 0, year=year))
    session.commit()


def _proposals(session: Session, settings: Settings, agency: Agency) -> list[ExitProposal]:
    return [p for p in propose(session, YEAR, settings) if p.agency_id == agency.id]


def test_art14_2_a_filed_agency_never_assessed_and_idle_two_years_is_withdrawn(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        agency = filed_agency(session, settings, at=FILED_BEFORE_WINDOW)
        [proposal] = _proposals(session, settings, agency)
        assert (proposal.status, proposal.decision, proposal.ground) == (
            "filed",
            "withdraw",
            "inactive_two_years",
        )
        assert proposal.evaluation is None and proposal.open
        assert proposal.reason("zh") == "2025年、2026年连续两年未开展指导工作"
        assert proposal.reason("en") == "no guidance work in 2025 and 2026 (two consecutive years)"
        [entry] = confirm(session, YEAR, ADMIN, settings)
        session.commit()
        session.refresh(agency)
        assert agency.status == "withdrawn"
        assert (entry.source, entry.target, entry.ground, entry.reason) == (
            "filed",
            "withdrawn",
            "inactive_two_years",
            "2025年、2026年连续两年未开展指导工作",
        )
        assert _proposals(session, settings, agency) == []


@pytest.mark.parametrize("guided_in", [YEAR - 1, YEAR])
def test_art14_2_a_guidance_record_in_either_year_keeps_the_agency(
    session: Session, settings: Settings, guided_in: int
) -> None:
    agency = filed_agency(session, settings, at=FILED_BEFORE_WINDOW)
    _guide(session, agency, guided_in)
    assert _proposals(session, settings, agency) == []
    with pytest.raises(GuardsUnmet) as refused:
        advance(
            session,
            agency.id or 0,
            "withdraw",
            ADMIN,
            "无指导",
            ground="inactive_two_years",
            year=YEAR,
            settings=settings,
        )
    assert refused.value.message("zh") == (
        f"不能执行“取消优先推荐资格”：{guided_in}年有指导记录，不属于连续两年未开展指导工作。"
    )
    session.refresh(agency)
    assert agency.status == "filed"


@pytest.mark.parametrize(
    ("filed_at", "proposed"),
    [
        (datetime(2024, 12, 31, 15, 30, tzinfo=UTC), True),  # 2024-12-31 23:30 in Beijing
        (datetime(2024, 12, 31, 16, 30, tzinfo=UTC), False),  # 2025-01-01 00:30 in Beijing
        (datetime(2025, 7, 1, tzinfo=UTC), False),  # 2025 is a partial year
        (datetime(2026, 3, 1, tzinfo=UTC), False),
    ],
)
def test_art14_2_a_filing_inside_the_window_does_not_count_a_partial_year(
    session: Session, settings: Settings, filed_at: datetime, proposed: bool
) -> None:
    agency = filed_agency(session, settings, at=filed_at)
    assert bool(_proposals(session, settings, agency)) is proposed


def test_art14_2_applies_to_a_retained_agency(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        # assessed and retained for 2024, then no guidance in 2025 nor 2026, no 2026 sheet
        agency = _assessed(
            session,
            settings,
            points_totalling(85),
            guided=(YEAR - 2,),
            filed_at=FILED_BEFORE_WINDOW,
            year=YEAR - 2,
        )
        confirm(session, YEAR - 2, ADMIN, settings)
        session.commit()
        session.refresh(agency)
        assert agency.status == "retained"
        [proposal] = _proposals(session, settings, agency)
        assert (proposal.status, proposal.ground, proposal.open) == (
            "retained",
            "inactive_two_years",
            True,
        )
        [entry] = confirm(session, YEAR, ADMIN, settings, agency_id=agency.id)
        session.commit()
        assert (entry.source, entry.target) == ("retained", "withdrawn")


def test_art14_2_applies_to_an_assessed_agency_without_this_years_sheet(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        # assessed for 2025 (work of 2024 only), the 2025 decision never confirmed
        agency = _assessed(
            session,
            settings,
            points_totalling(85),
            guided=(YEAR - 2,),
            filed_at=FILED_BEFORE_WINDOW,
            year=YEAR - 1,
        )
        assert agency.status == "assessed"
        [proposal] = _proposals(session, settings, agency)
        assert (proposal.status, proposal.decision, proposal.ground) == (
            "assessed",
            "withdraw",
            "inactive_two_years",
        )
        entry = advance(
            session,
            agency.id or 0,
            "withdraw",
            ADMIN,
            proposal.reason(),
            ground="inactive_two_years",
            year=YEAR,
            settings=settings,
        )
        session.commit()
        assert (entry.source, entry.target, entry.ground) == (
            "assessed",
            "withdrawn",
            "inactive_two_years",
        )


def test_art14_2_ground_is_offered_in_every_holding_state(
    session: Session, settings: Settings
) -> None:
    agency = filed_agency(session, settings, at=FILED_BEFORE_WINDOW)
    actions = available_triggers(session, agency, ADMIN, settings=settings, year=YEAR)
    withdraw = next(a for a in actions if a.trigger == "withdraw")
    assert withdraw.grounds == ("inactive_two_years", "staff_change", "convention_violation")
