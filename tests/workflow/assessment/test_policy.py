"""A finalised result keeps the policy it was finalised with; drafts follow the settings.

Changing `bonus_counts_toward_grade`, `bonus_cap` or `b4_points` later must not change a
published result, the exit proposal or the lifecycle's guards based on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from sqlmodel.sql.sqltypes import UTCDateTime

from migrations import upgrade
from tests.builders import agency_fields
from tests.pg import PostgresServer
from tests.workflow.assessment_builders import (
    ADMIN,
    assessed_agency,
    filed_agency,
    fill_sheet,
    points_totalling,
)
from workflow.assessment.evaluation import PolicyValues, evaluate
from workflow.assessment.exits import confirm, propose
from workflow.assessment.gate import finalised_evaluation
from workflow.assessment.models import ScoreSheet
from workflow.assessment.results import year_results
from workflow.assessment.sheets import sheet_view
from workflow.assessment.xlsx import write_sheet
from workflow.core.db import make_engine
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings
from workflow.lifecycle.audit import history
from workflow.lifecycle.engine import GuardsUnmet, advance, available_triggers
from workflow.registry.models import Agency

YEAR = 2026


def _policy(settings: Settings, counts: bool, cap: int | None, b4: int) -> Settings:
    return settings.model_copy(
        update={"bonus_counts_toward_grade": counts, "bonus_cap": cap, "b4_points": b4}
    )


def _retain_allowed(session: Session, agency_id: int, settings: Settings) -> bool:
    """Whether the lifecycle's guards let an admin retain the agency for YEAR."""
    actions = available_triggers(
        session, session.get_one(Agency, agency_id), ADMIN, settings=settings, year=YEAR
    )
    return next(a for a in actions if a.trigger == "retain").allowed


def test_changed_settings_leave_a_passed_result_and_its_guards_alone(
    any_engine: Engine, settings: Settings
) -> None:
    """Passed with the bonus counting (69 + 1 = 70); the admin then grades on the base
    score only: the finalised result still passed, a draft with the same points fails."""
    points, bonus = points_totalling(69), {"B4": 1}
    stricter = _policy(settings, counts=False, cap=None, b4=1)
    with Session(any_engine, expire_on_commit=False) as session:
        agency = assessed_agency(session, settings, points, year=YEAR, guided=(YEAR,), bonus=bonus)
        draft = filed_agency(session, settings)
        assert agency.id is not None and draft.id is not None
        fill_sheet(session, draft.id, YEAR, points, bonus)

        published = finalised_evaluation(session, agency.id, YEAR, settings)
        assert published == evaluate(points, bonus, policy=settings)
        assert (published.final, published.grade, published.passed) == (70, "qualified", True)

        later = finalised_evaluation(session, agency.id, YEAR, stricter)
        assert later == published
        assert sheet_view(session, agency.id, YEAR).evaluation(stricter) == published
        assert [row.evaluation for row in year_results(session, YEAR, stricter)] == [published]
        (proposal,) = propose(session, YEAR, stricter)
        assert (proposal.decision, proposal.ground, proposal.evaluation) == (
            "retain",
            None,
            published,
        )
        assert _retain_allowed(session, agency.id, stricter)
        with pytest.raises(GuardsUnmet):
            advance(
                session,
                agency.id,
                "withdraw",
                ADMIN,
                "不合格",
                ground="unqualified",
                year=YEAR,
                settings=stricter,
            )
        session.rollback()

        drafted = sheet_view(session, draft.id, YEAR)
        assert drafted.evaluation(settings) == published
        now = drafted.evaluation(stricter)
        assert now is not None
        assert (now.final, now.grade_score, now.grade, now.passed) == (70, 69, "unqualified", False)

        (entry,) = confirm(session, YEAR, ADMIN, stricter)
        session.commit()
        assert (entry.trigger, entry.target) == ("retain", "retained")


def test_a_result_finalised_under_a_policy_is_read_with_it_afterwards(
    any_engine: Engine, settings: Settings
) -> None:
    """Finalised grading on the base score, capped at 5, B4 worth 3: 68 base fails.
    Back on the defaults (the same 68 + 2 would pass) the result still fails and the
    withdrawal on ground 1 goes through; exports show the stored values."""
    points, bonus = points_totalling(68), {"B4": 2}
    policy = _policy(settings, counts=False, cap=5, b4=3)
    with Session(any_engine, expire_on_commit=False) as session:
        agency = assessed_agency(session, policy, points, year=YEAR, guided=(YEAR,), bonus=bonus)
        draft = filed_agency(session, settings)
        assert agency.id is not None and draft.id is not None
        fill_sheet(session, draft.id, YEAR, points, bonus)

        view = sheet_view(session, agency.id, YEAR)
        stored = (
            view.sheet.policy_bonus_counts_toward_grade,
            view.sheet.policy_bonus_cap,
            view.sheet.policy_b4_points,
        )
        assert stored == (False, 5, 3)
        assert view.sheet.finalised_policy() == PolicyValues(False, 5, 3)
        draft_sheet = sheet_view(session, draft.id, YEAR).sheet
        assert draft_sheet.finalised_policy() is None
        assert draft_sheet.policy_b4_points is None

        result = view.evaluation(settings)
        assert result == evaluate(points, bonus, policy=policy)
        assert result is not None
        assert (result.base, result.bonus, result.final) == (68, 5, 73)
        assert (result.graded_on, result.grade, result.passed) == ("base", "unqualified", False)
        assert finalised_evaluation(session, agency.id, YEAR, settings) == result
        (row,) = year_results(session, YEAR, settings)
        assert (row.evaluation.final, row.evaluation.passed) == (73, False)
        assert not _retain_allowed(session, agency.id, settings)

        ws = write_sheet(agency.id, agency.name, YEAR, view, settings, "zh").worksheets[0]
        by_label = {ws.cell(r, 1).value: ws.cell(r, 9).value for r in range(1, ws.max_row + 1)}
        b4_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "B4")
        assert ws.cell(b4_row, 9).value == 6  # 2 projects x 3 points, as finalised
        assert by_label[workflow_texts.text("assessment.xlsx.final", "zh")] == 73

        drafted = sheet_view(session, draft.id, YEAR).evaluation(settings)
        assert drafted is not None
        assert (drafted.bonus, drafted.final, drafted.passed) == (2, 70, True)

        (proposal,) = propose(session, YEAR, settings)
        assert (proposal.decision, proposal.ground) == ("withdraw", "unqualified")
        (entry,) = confirm(session, YEAR, ADMIN, settings)
        session.commit()
        assert (entry.trigger, entry.ground, entry.target) == (
            "withdraw",
            "unqualified",
            "withdrawn",
        )
        assert history(session, agency.id)[-1].ground == "unqualified"


# Migration 0006: sheets finalised before it get the rules' defaults.

_OLD_SHEET = sa.table(
    "scoresheet",
    sa.column("agency_id", sa.Integer()),
    sa.column("year", sa.Integer()),
    sa.column("created_by", sa.String()),
    sa.column("created_at", UTCDateTime()),
    sa.column("questionnaire_set_by", sa.String()),
    sa.column("finalised_at", UTCDateTime()),
    sa.column("finalised_by", sa.String()),
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database (nothing migrated yet) on each backend."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = f"old_{uuid.uuid4().hex[:8]}"
    server.execute(f"CREATE DATABASE {name}")
    engine = make_engine(server.url(name))
    try:
        yield engine
    finally:
        engine.dispose()
        server.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_migration_gives_earlier_finalised_sheets_the_rules_defaults(
    empty_engine: Engine,
) -> None:
    upgrade(empty_engine, "0005_reminders")
    with Session(empty_engine) as session:  # agencies alone: later revisions add to applications
        finalised, draft = Agency(**agency_fields()), Agency(**agency_fields())
        session.add_all([finalised, draft])
        session.commit()
        finalised_id, draft_id = finalised.id, draft.id
    at = datetime(2025, 12, 30, 8, tzinfo=UTC)
    with empty_engine.begin() as connection:
        for agency_id, finalised_at in ((finalised_id, at), (draft_id, None)):
            connection.execute(
                _OLD_SHEET.insert().values(
                    agency_id=agency_id,
                    year=2025,
                    created_by="expert",
                    created_at=at,
                    questionnaire_set_by="",
                    finalised_at=finalised_at,
                    finalised_by="admin" if finalised_at else "",
                )
            )
    upgrade(empty_engine)
    with Session(empty_engine) as session:
        sheets = {s.agency_id: s for s in session.exec(select(ScoreSheet)).all()}
        old = sheets[finalised_id or 0]
        stored = (old.policy_bonus_counts_toward_grade, old.policy_bonus_cap, old.policy_b4_points)
        assert stored == (True, None, 1)
        assert old.finalised_policy() == PolicyValues()
        draft = sheets[draft_id or 0]
        assert (draft.policy_bonus_counts_toward_grade, draft.policy_b4_points) == (None, None)
        assert draft.finalised_policy() is None
