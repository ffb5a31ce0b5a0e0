"""finalised policy: the policy values a score sheet was finalised with

Revision ID: 0006_finalised_policy
Revises: 0005_reminders
Create Date: 2026-11-27

Sheets finalised before this revision did not record their policy; they are
given the rules' defaults (RULES.md: the bonus counts toward the grade, no cap,
B4 worth 1 point). Drafts keep NULL until they are finalised.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_finalised_policy"
down_revision = "0005_reminders"
branch_labels = None
depends_on = None

_scoresheet = sa.table(
    "scoresheet",
    sa.column("finalised_at", sa.DateTime()),
    sa.column("policy_bonus_counts_toward_grade", sa.Boolean()),
    sa.column("policy_bonus_cap", sa.Integer()),
    sa.column("policy_b4_points", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("scoresheet", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("policy_bonus_counts_toward_grade", sa.Boolean(), nullable=True)
        )
        batch_op.add_column(sa.Column("policy_bonus_cap", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("policy_b4_points", sa.Integer(), nullable=True))
    op.execute(
        _scoresheet.update()
        .where(_scoresheet.c.finalised_at.is_not(None))
        .values(policy_bonus_counts_toward_grade=True, policy_bonus_cap=None, policy_b4_points=1)
    )


def downgrade() -> None:
    with op.batch_alter_table("scoresheet", schema=None) as batch_op:
        batch_op.drop_column("policy_b4_points")
        batch_op.drop_column("policy_bonus_cap")
        batch_op.drop_column("policy_bonus_counts_toward_grade")
