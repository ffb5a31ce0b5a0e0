"""assessment: score sheets, their indicator lines and bonus entries

Revision ID: 0003_assessment
Revises: 0002_lifecycle
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003_assessment"
down_revision = "0002_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scoresheet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column(
            "questionnaire_source", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True
        ),
        sa.Column(
            "questionnaire_set_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False
        ),
        sa.Column("questionnaire_set_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("finalised_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("finalised_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency_id", "year", name="uq_scoresheet_agency_year"),
    )
    with op.batch_alter_table("scoresheet", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scoresheet_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_scoresheet_year"), ["year"], unique=False)

    op.create_table(
        "scoreline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("content_present", sa.Boolean(), nullable=True),
        sa.Column("evidence_present", sa.Boolean(), nullable=True),
        sa.Column("effect", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("entered_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("entered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["sheet_id"], ["scoresheet.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sheet_id", "code", name="uq_scoreline_sheet_code"),
    )
    with op.batch_alter_table("scoreline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scoreline_sheet_id"), ["sheet_id"], unique=False)

    op.create_table(
        "bonusentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("evidence", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("entered_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("entered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["sheet_id"], ["scoresheet.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sheet_id", "code", name="uq_bonusentry_sheet_code"),
    )
    with op.batch_alter_table("bonusentry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bonusentry_sheet_id"), ["sheet_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bonusentry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bonusentry_sheet_id"))
    op.drop_table("bonusentry")
    with op.batch_alter_table("scoreline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scoreline_sheet_id"))
    op.drop_table("scoreline")
    with op.batch_alter_table("scoresheet", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scoresheet_year"))
        batch_op.drop_index(batch_op.f("ix_scoresheet_agency_id"))
    op.drop_table("scoresheet")
