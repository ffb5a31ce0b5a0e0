"""The score sheet tables: one sheet per (agency, year), one line per indicator,
and the bonus entries.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.assessment.evaluation import (
    GRADE_SCORES,
    PASS_SCORES,
    Policy,
    PolicyValues,
)

# the tables our foreign keys name, so they are mapped whatever imported this module
from workflow.community.models import CreationUnit  # noqa: F401
from workflow.core.clock import utcnow
from workflow.registry.models import Agency  # noqa: F401

QuestionnaireSource = Literal["survey", "admin"]
QUESTIONNAIRE_SOURCES: tuple[QuestionnaireSource, ...] = ("survey", "admin")


class ScoreSheet(SQLModel, table=True):
    """An agency's annual assessment for one year; locked once finalised."""

    __table_args__ = (UniqueConstraint("agency_id", "year", name="uq_scoresheet_agency_year"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True, ondelete="CASCADE")
    year: int = Field(index=True)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    questionnaire_source: str | None = Field(default=None, max_length=10)
    questionnaire_set_by: str = Field(default="", max_length=100)
    questionnaire_set_at: datetime | None = None
    finalised_at: datetime | None = None
    finalised_by: str = Field(default="", max_length=100)
    # The policy the result was evaluated with, stored when finalised (None before);
    # a None cap on a finalised sheet means "no cap". Sheets finalised before revision
    # 0008 were given the values that reproduce their result (see that migration).
    policy_grade_score: str | None = Field(default=None, max_length=10)
    policy_final_score_cap: int | None = None
    policy_bonus_cap: int | None = None
    policy_b4_points: int | None = None
    policy_pass_score: str | None = Field(default=None, max_length=10)
    policy_no_evidence_fraction: float | None = None

    def finalised_policy(self) -> PolicyValues | None:
        """The policy stored at finalising, or None for a draft.

        A finalised sheet without stored values (marked finalised by hand) is read
        with the rules' defaults.
        """
        if self.finalised_at is None:
            return None
        grade_score, pass_score = self.policy_grade_score, self.policy_pass_score
        if (
            grade_score not in GRADE_SCORES
            or pass_score not in PASS_SCORES
            or self.policy_b4_points is None
            or self.policy_no_evidence_fraction is None
        ):
            return PolicyValues()
        return PolicyValues(
            grade_score=grade_score,
            final_score_cap=self.policy_final_score_cap,
            bonus_cap=self.policy_bonus_cap,
            b4_points=self.policy_b4_points,
            pass_score=pass_score,
            no_evidence_fraction=self.policy_no_evidence_fraction,
        )

    def store_policy(self, policy: Policy) -> None:
        """Keep `policy`'s values on the sheet (done when it is finalised)."""
        values = PolicyValues.of(policy)
        self.policy_grade_score = values.grade_score
        self.policy_final_score_cap = values.final_score_cap
        self.policy_bonus_cap = values.bonus_cap
        self.policy_b4_points = values.b4_points
        self.policy_pass_score = values.pass_score
        self.policy_no_evidence_fraction = values.no_evidence_fraction


class ScoreLine(SQLModel, table=True):
    """One indicator of a sheet: the three-part judgement and the points.

    `content_present` / `evidence_present` are recorded explicitly on every materials
    line (评分说明二) and None on questionnaire lines, whose points come from the
    creation units' answers; `effect` is the expert's note on the effect.
    """

    __table_args__ = (UniqueConstraint("sheet_id", "code", name="uq_scoreline_sheet_code"),)

    id: int | None = Field(default=None, primary_key=True)
    sheet_id: int = Field(foreign_key="scoresheet.id", index=True, ondelete="CASCADE")
    code: str = Field(max_length=5)
    content_present: bool | None = None
    evidence_present: bool | None = None
    effect: str = Field(default="")
    points: int
    note: str = Field(default="")
    entered_by: str = Field(max_length=100)
    entered_at: datetime = Field(default_factory=utcnow)


class BonusEntry(SQLModel, table=True):
    """A legacy count-only bonus entry (before revision 0014): how many cases, and the
    evidence for them. Kept and counted; no new one is recorded (a count may only be
    lowered or removed): bonus items are now `BonusAward` rows, one per case."""

    __table_args__ = (UniqueConstraint("sheet_id", "code", name="uq_bonusentry_sheet_code"),)

    id: int | None = Field(default=None, primary_key=True)
    sheet_id: int = Field(foreign_key="scoresheet.id", index=True, ondelete="CASCADE")
    code: str = Field(max_length=5)
    count: int
    evidence: str = Field(default="")
    entered_by: str = Field(max_length=100)
    entered_at: datetime = Field(default_factory=utcnow)


class BonusAward(SQLModel, table=True):
    """One bonus case (Art. 13) on a sheet: B1/B2 a title conferred on a guided creation
    unit, B3 a public-safety education base set up in one, B4 a project promoted
    city-wide; with its evidence. `claim` (the unit and the normalised title, base or
    project) is unique per code: the same unit's same title counts once, for one agency,
    in the year of the sheet it is recorded on (the year it was conferred)."""

    __table_args__ = (UniqueConstraint("code", "claim", name="uq_bonusaward_code_claim"),)

    id: int | None = Field(default=None, primary_key=True)
    sheet_id: int = Field(foreign_key="scoresheet.id", index=True, ondelete="CASCADE")
    code: str = Field(max_length=5)
    unit_id: int | None = Field(
        default=None, foreign_key="creationunit.id", index=True, ondelete="CASCADE"
    )
    title: str = Field(max_length=200)
    claim: str = Field(max_length=250)
    evidence: str
    entered_by: str = Field(max_length=100)
    entered_at: datetime = Field(default_factory=utcnow)


class Publication(SQLModel, table=True):
    """A year's results made public (公示, Art. 15): the period, stored when `results`
    first ran, so a later change of `SAFECOMM_PUBLICITY_DAYS` does not move it."""

    year: int = Field(primary_key=True)
    starts: date
    ends: date
    """The last day objections are accepted (inclusive), in the settings' zone."""
    opened_at: datetime = Field(default_factory=utcnow)
    opened_by: str = Field(max_length=100)


OBJECTION_STATES = ("open", "upheld", "dismissed")


class Objection(SQLModel, table=True):
    """An agency's objection (异议) to its published result, recorded by an admin during
    the 公示 period, then upheld (the sheet is reopened) or dismissed, with reasons."""

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True, ondelete="CASCADE")
    year: int = Field(index=True)
    received_on: date
    reason: str
    status: str = Field(default="open", max_length=10)
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = Field(default_factory=utcnow)
    decided_by: str = Field(default="", max_length=100)
    decided_at: datetime | None = None
    decision_reason: str = Field(default="")
    refinalised_at: datetime | None = None
    """Upheld: when the reopened sheet was finalised again (None until then)."""
