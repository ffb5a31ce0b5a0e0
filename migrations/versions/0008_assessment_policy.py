"""assessment policy: pass on the base score, grade on the final score capped at 100

Revision ID: 0008_assessment_policy
Revises: 0007_taps_and_confirmations
Create Date: 2026-12-05

The rules now read the table's 评分说明 as written: an assessment passes on the
base score (>= 70, no indicator at 0), the grade of a passed one is read from
base + bonus capped at 100, and an indicator without evidence gets at most a
share of its maximum. `policy_bonus_counts_toward_grade` becomes
`policy_grade_score` ("final" for true, "base" for false), and three values are
new: `policy_final_score_cap`, `policy_pass_score`, `policy_no_evidence_fraction`.

Sheets finalised before this revision keep the result they were published
with: the pass mark read the graded score (`policy_pass_score = "graded"`), the
final score had no cap (NULL) and a missing evidence did not cap the points
(1.0). Drafts keep NULL until they are finalised, and then take the settings.

Downgrading keeps only what revision 0006 can hold (the graded score as
true/false); the cap and the pass reading are dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008_assessment_policy"
down_revision = "0007_taps_and_confirmations"
branch_labels = None
depends_on = None

_scoresheet = sa.table(
    "scoresheet",
    sa.column("finalised_at", sa.DateTime()),
    sa.column("policy_bonus_counts_toward_grade", sa.Boolean()),
    sa.column("policy_grade_score", sa.String()),
    sa.column("policy_final_score_cap", sa.Integer()),
    sa.column("policy_pass_score", sa.String()),
    sa.column("policy_no_evidence_fraction", sa.Float()),
)
_finalised = _scoresheet.c.finalised_at.is_not(None)


def upgrade() -> None:
    with op.batch_alter_table("scoresheet", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "policy_grade_score", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True
            )
        )
        batch_op.add_column(sa.Column("policy_final_score_cap", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "policy_pass_score", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True
            )
        )
        batch_op.add_column(sa.Column("policy_no_evidence_fraction", sa.Float(), nullable=True))
    op.execute(
        _scoresheet.update()
        .where(_finalised)
        .values(
            policy_grade_score=sa.case(
                (_scoresheet.c.policy_bonus_counts_toward_grade == sa.false(), "base"),
                else_="final",
            ),
            policy_final_score_cap=None,
            policy_pass_score="graded",
            policy_no_evidence_fraction=1.0,
        )
    )
    _drop_columns("policy_bonus_counts_toward_grade")


def _drop_columns(*names: str) -> None:
    """Drop columns in place. On SQLite a batch operation would copy the table and drop
    the old one, and with foreign keys on, that drop deletes every score line and bonus
    entry (ON DELETE CASCADE); SQLite >= 3.35 drops a plain column in place."""
    for name in names:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE scoresheet DROP COLUMN {name}")
        else:
            op.drop_column("scoresheet", name)


def downgrade() -> None:
    with op.batch_alter_table("scoresheet", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("policy_bonus_counts_toward_grade", sa.Boolean(), nullable=True)
        )
    op.execute(
        _scoresheet.update()
        .where(_finalised)
        .values(policy_bonus_counts_toward_grade=_scoresheet.c.policy_grade_score != "base")
    )
    _drop_columns(
        "policy_no_evidence_fraction",
        "policy_pass_score",
        "policy_final_score_cap",
        "policy_grade_score",
    )
