"""A finalised result keeps the policy it was finalised with; drafts follow the settings.

Changing `grade_score`, `final_score_cap`, `bonus_cap`, `b4_points` or
`no_evidence_fraction` later must not change a published result, the exit proposal
or the lifecycle's guards based on it; sheets finalised before revision 0008 keep
the reading they were published with (the pass mark read the graded score, no cap).
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
from tests.builders import agency_fields, old_agency
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
from workflow.assessment.standard import STANDARD
from workflow.assessment.xlsx import write_sheet
from workflow.core.db import make_engine
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings
from workflow.lifecycle.engine import available_triggers
from workflow.registry.models import Agency

YEAR = 2026


def _policy(settings: Settings, **values: object) -> Settings:
    return settings.model_copy(update=values)


def _retain_allowed(session: Session, agency_id: int, settings: Settings) -> bool:
    """Whether the lifecycle's guards let an admin retain the agency for YEAR."""
    actions = available_triggers(
        session, session.get_one(Agency, agency_id), ADMIN, settings=settings, year=YEAR
    )
    return next(a for a in actions if a.trigger == "retain").allowed


def test_changed_settings_leave_a_published_grade_alone(
    any_engine: Engine, settings: Settings
) -> None:
    """Finalised on the defaults: 85 + 6 = 91, 优秀. The admin then grades on the base
    score: the finalised result is still 优秀, a draft with the same points is 合格."""
    points, bonus = points_totalling(85), {"B3": 2}
    on_base = _policy(settings, grade_score="base", final_score_cap=None, b4_points=2)
    with Session(any_engine, expire_on_commit=False) as session:
        agency = assessed_agency(session, settings, points, year=YEAR, guided=(YEAR,), bonus=bonus)
        draft = filed_agency(session, settings)
        assert agency.id is not None and draft.id is not None
        fill_sheet(session, draft.id, YEAR, points, bonus)

        published = finalised_evaluation(session, agency.id, YEAR, settings)
        assert published == evaluate(points, bonus, policy=settings)
        assert (published.final, published.grade, published.passed) == (91, "excellent", True)

        assert finalised_evaluation(session, agency.id, YEAR, on_base) == published
        assert sheet_view(session, agency.id, YEAR).evaluation(on_base) == published
        assert [row.evaluation for row in year_results(session, YEAR, on_base)] == [published]
        (proposal,) = propose(session, YEAR, on_base)
        assert (proposal.decision, proposal.evaluation) == ("retain", published)
        assert _retain_allowed(session, agency.id, on_base)

        now = sheet_view(session, draft.id, YEAR).evaluation(on_base)
        assert now is not None
        assert (now.final, now.grade_score, now.grade, now.passed) == (91, 85, "qualified", True)

        (entry,) = confirm(session, YEAR, ADMIN, on_base)
        session.commit()
        assert (entry.trigger, entry.target) == ("retain", "retained")


def test_a_result_finalised_under_a_policy_is_read_with_it_afterwards(
    any_engine: Engine, settings: Settings
) -> None:
    """Finalised grading on the base score, bonus capped at 5, B4 worth 3, no cap on the
    final: 88 base is 合格 with final 93. Back on the defaults (88 + 2 = 90 would be 优秀)
    the result stays 合格 with 93; exports show the stored values."""
    points, bonus = points_totalling(88), {"B4": 2}
    policy = _policy(
        settings,
        grade_score="base",
        final_score_cap=None,
        bonus_cap=5,
        b4_points=3,
        no_evidence_fraction=0.4,
    )
    with Session(any_engine, expire_on_commit=False) as session:
        agency = assessed_agency(session, policy, points, year=YEAR, guided=(YEAR,), bonus=bonus)
        draft = filed_agency(session, settings)
        assert agency.id is not None and draft.id is not None
        fill_sheet(session, draft.id, YEAR, points, bonus)

        sheet = sheet_view(session, agency.id, YEAR).sheet
        stored = (
            sheet.policy_grade_score,
            sheet.policy_final_score_cap,
            sheet.policy_bonus_cap,
            sheet.policy_b4_points,
            sheet.policy_pass_score,
            sheet.policy_no_evidence_fraction,
        )
        assert stored == ("base", None, 5, 3, "base", 0.4)
        assert sheet.finalised_policy() == PolicyValues("base", None, 5, 3, "base", 0.4)
        draft_sheet = sheet_view(session, draft.id, YEAR).sheet
        assert draft_sheet.finalised_policy() is None
        assert (draft_sheet.policy_grade_score, draft_sheet.policy_b4_points) == (None, None)

        view = sheet_view(session, agency.id, YEAR)
        result = view.evaluation(settings)
        assert result == evaluate(points, bonus, policy=policy)
        assert result is not None
        assert (result.base, result.bonus, result.final) == (88, 5, 93)
        assert (result.graded_on, result.grade, result.passed) == ("base", "qualified", True)
        assert finalised_evaluation(session, agency.id, YEAR, settings) == result
        (row,) = year_results(session, YEAR, settings)
        assert (row.evaluation.final, row.evaluation.grade) == (93, "qualified")

        ws = write_sheet(agency.id, agency.name, YEAR, view, settings, "zh").worksheets[0]
        by_label = {ws.cell(r, 1).value: ws.cell(r, 9).value for r in range(1, ws.max_row + 1)}
        b4_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "B4")
        assert ws.cell(b4_row, 9).value == 6  # 2 projects x 3 points, as finalised
        assert by_label[workflow_texts.text("assessment.xlsx.final", "zh")] == 93
        notes = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
        assert "无证据的指标最多得该项分值的 40%（向下取整）。" in notes

        drafted = sheet_view(session, draft.id, YEAR).evaluation(settings)
        assert drafted is not None
        assert (drafted.bonus, drafted.final, drafted.grade) == (2, 90, "excellent")


# Migrations 0006 and 0008: sheets finalised earlier keep the result they were published with.

_OLD_SHEET = sa.table(
    "scoresheet",
    sa.column("id", sa.Integer()),
    sa.column("agency_id", sa.Integer()),
    sa.column("year", sa.Integer()),
    sa.column("created_by", sa.String()),
    sa.column("created_at", UTCDateTime()),
    sa.column("questionnaire_set_by", sa.String()),
    sa.column("questionnaire_source", sa.String()),
    sa.column("finalised_at", UTCDateTime()),
    sa.column("finalised_by", sa.String()),
)
_OLD_POLICY = sa.table(
    "scoresheet",
    sa.column("agency_id", sa.Integer()),
    sa.column("policy_bonus_counts_toward_grade", sa.Boolean()),
    sa.column("policy_bonus_cap", sa.Integer()),
    sa.column("policy_b4_points", sa.Integer()),
)
_OLD_LINE = sa.table(
    "scoreline",
    sa.column("sheet_id", sa.Integer()),
    sa.column("code", sa.String()),
    sa.column("content_present", sa.Boolean()),
    sa.column("evidence_present", sa.Boolean()),
    sa.column("effect", sa.String()),
    sa.column("points", sa.Integer()),
    sa.column("note", sa.String()),
    sa.column("entered_by", sa.String()),
    sa.column("entered_at", UTCDateTime()),
)
_OLD_BONUS = sa.table(
    "bonusentry",
    sa.column("sheet_id", sa.Integer()),
    sa.column("code", sa.String()),
    sa.column("count", sa.Integer()),
    sa.column("evidence", sa.String()),
    sa.column("entered_by", sa.String()),
    sa.column("entered_at", UTCDateTime()),
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


def test_migrations_keep_earlier_finalised_results(empty_engine: Engine) -> None:
    """0006 gives sheets finalised before it the defaults of then (the bonus counts toward
    the grade, no cap, B4 = 1); 0008 turns that into the values that reproduce the
    published result: graded on the final score, the pass mark read from the graded
    score ("graded"), no cap on the final, no cap for a missing evidence. A sheet
    published as 69 + 1 = 70, passed, still reads so (today it would fail)."""
    upgrade(empty_engine, "0005_reminders")
    with empty_engine.begin() as connection:  # agencies alone: later revisions add to them
        finalised_id, on_base_id, draft_id = (
            old_agency(connection, agency_fields()) for _ in range(3)
        )
    at = datetime(2025, 12, 30, 8, tzinfo=UTC)
    points = points_totalling(69)
    with empty_engine.begin() as connection:
        for agency_id, finalised_at in ((finalised_id, at), (on_base_id, at), (draft_id, None)):
            connection.execute(
                _OLD_SHEET.insert().values(
                    agency_id=agency_id,
                    year=2025,
                    created_by="expert",
                    created_at=at,
                    questionnaire_set_by="survey",
                    questionnaire_source="survey",
                    finalised_at=finalised_at,
                    finalised_by="admin" if finalised_at else "",
                )
            )
        sheet_id = connection.execute(
            sa.select(_OLD_SHEET.c.id).where(_OLD_SHEET.c.agency_id == finalised_id)
        ).scalar_one()
        materials = [c for c in STANDARD.codes if c not in STANDARD.questionnaire_codes]
        connection.execute(
            _OLD_LINE.insert(),
            [
                {
                    "sheet_id": sheet_id,
                    "code": code,
                    "content_present": True if code in materials else None,
                    "evidence_present": True if code in materials else None,
                    "effect": "",
                    "points": points[code],
                    "note": "",
                    "entered_by": "expert",
                    "entered_at": at,
                }
                for code in STANDARD.codes
            ],
        )
        connection.execute(
            _OLD_BONUS.insert().values(
                sheet_id=sheet_id,
                code="B1",
                count=1,
                evidence="市级安全社区",
                entered_by="x",
                entered_at=at,
            )
        )
    upgrade(empty_engine, "0006_finalised_policy")
    with empty_engine.begin() as connection:
        rows = connection.execute(sa.select(_OLD_POLICY)).all()
        stored = {row.agency_id: tuple(row)[1:] for row in rows}
        assert stored[finalised_id] == (True, None, 1)
        assert stored[draft_id] == (None, None, None)
        connection.execute(  # an admin had graded this one on the base score
            _OLD_POLICY.update()
            .where(_OLD_POLICY.c.agency_id == on_base_id)
            .values(policy_bonus_counts_toward_grade=False)
        )
    upgrade(empty_engine)
    with Session(empty_engine) as session:
        sheets = {s.agency_id: s for s in session.exec(select(ScoreSheet)).all()}
        old = sheets[finalised_id or 0]
        assert old.finalised_policy() == PolicyValues(
            grade_score="final",
            final_score_cap=None,
            bonus_cap=None,
            b4_points=1,
            pass_score="graded",
            no_evidence_fraction=1.0,
        )
        on_base = sheets[on_base_id or 0].finalised_policy()
        assert on_base is not None and on_base.grade_score == "base"
        draft = sheets[draft_id or 0]
        assert (draft.policy_grade_score, draft.policy_pass_score, draft.policy_b4_points) == (
            None,
            None,
            None,
        )
        assert draft.finalised_policy() is None
        # the lines survived the migration (a copied table would have lost them by cascade)
        published = sheet_view(session, finalised_id or 0, 2025).evaluation()
        assert published is not None
        assert (published.base, published.final, published.passed) == (69, 70, True)
        assert published.grade == "qualified"
        assert evaluate(points, {"B1": 1}).passed is False  # the rules' reading today
