"""surveys: survey invitations and answers

Revision ID: 0004_surveys
Revises: 0003_assessment
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004_surveys"
down_revision = "0003_assessment"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("bound_user_id", sa.BigInteger(), nullable=True),
        sa.Column("bound_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("rebound_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("rebound_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["creationunit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token", name="uq_invitation_token"),
        sa.UniqueConstraint("unit_id", "agency_id", "year", name="uq_invitation_unit_agency_year"),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_invitation_bound_user_id"), ["bound_user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invitation_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitation_year"), ["year"], unique=False)

    op.create_table(
        "surveyprogress",
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item1", sa.Integer(), nullable=True),
        sa.Column("item2", sa.Integer(), nullable=True),
        sa.Column("item3", sa.Integer(), nullable=True),
        sa.Column("item4", sa.Integer(), nullable=True),
        sa.Column("item5", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("invitation_id"),
    )
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("item1", sa.Integer(), nullable=False),
        sa.Column("item2", sa.Integer(), nullable=False),
        sa.Column("item3", sa.Integer(), nullable=False),
        sa.Column("item4", sa.Integer(), nullable=False),
        sa.Column("item5", sa.Integer(), nullable=False),
        sa.Column("receipt", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("receipt", name="uq_submission_receipt"),
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submission_invitation_id"), ["invitation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_invitation_id"))
    op.drop_table("submission")
    op.drop_table("surveyprogress")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_year"))
        batch_op.drop_index(batch_op.f("ix_invitation_unit_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_bound_user_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_agency_id"))
    op.drop_table("invitation")
