"""guidance activities: programmes and start of guidance, Art. 11 activities, evidence files

Revision ID: 0015_guidance_activities
Revises: 0014_forum_bonus
Create Date: 2026-12-02

`guidance` gains the programme(s) the unit is guided in and the day guidance began;
existing rows take the unit's own programmes (a unit in neither is taken as a safe
community, the stricter reading of Art. 11 2(4)) and start on 1 January.
`guidanceactivity` keeps each piece of guidance work, `evidencefile` its files with
their SHA-256, `activitydraft` the chat's half-entered activity.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015_guidance_activities"
down_revision = "0014_forum_bonus"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("guidance") as batch:
        batch.add_column(
            sa.Column("safe_community", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(
            sa.Column("disaster_reduction", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("started_on", sa.Date(), nullable=True))
    op.execute(
        "UPDATE guidance SET"
        " safe_community = (SELECT u.safe_community OR NOT u.disaster_reduction"
        " FROM creationunit u WHERE u.id = guidance.unit_id),"
        " disaster_reduction = (SELECT u.disaster_reduction"
        " FROM creationunit u WHERE u.id = guidance.unit_id)"
    )
    op.create_table(
        "guidanceactivity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", _TEXT(length=30), nullable=False),
        sa.Column("topic", _TEXT(length=30), nullable=False),
        sa.Column("programme", _TEXT(length=30), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("title", _TEXT(length=200), nullable=False),
        sa.Column("description", _TEXT(length=500), nullable=False),
        sa.Column("attendance", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("recorded_by", _TEXT(length=100), nullable=False),
        sa.Column("on_behalf", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["creationunit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("agency_id", "unit_id", "year"):
        op.create_index(
            op.f(f"ix_guidanceactivity_{column}"), "guidanceactivity", [column], unique=False
        )
    op.create_table(
        "evidencefile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("stored_path", _TEXT(length=500), nullable=False),
        sa.Column("original_name", _TEXT(length=255), nullable=False),
        sa.Column("mime_type", _TEXT(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", _TEXT(length=64), nullable=False),
        sa.Column("uploaded_by", _TEXT(length=100), nullable=False),
        sa.Column("uploaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["guidanceactivity.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency_id", "year", "sha256", name="uq_evidence_checksum"),
    )
    for column in ("activity_id", "agency_id", "year"):
        op.create_index(op.f(f"ix_evidencefile_{column}"), "evidencefile", [column], unique=False)
    op.create_table(
        "activitydraft",
        sa.Column("recorder", _TEXT(length=100), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("step", _TEXT(length=20), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("kind", _TEXT(length=30), nullable=False),
        sa.Column("topic", _TEXT(length=30), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("description", _TEXT(length=500), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["creationunit.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["activity_id"], ["guidanceactivity.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("recorder"),
    )
    op.create_index(
        op.f("ix_activitydraft_agency_id"), "activitydraft", ["agency_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_activitydraft_agency_id"), table_name="activitydraft")
    op.drop_table("activitydraft")
    for column in ("activity_id", "agency_id", "year"):
        op.drop_index(op.f(f"ix_evidencefile_{column}"), table_name="evidencefile")
    op.drop_table("evidencefile")
    for column in ("agency_id", "unit_id", "year"):
        op.drop_index(op.f(f"ix_guidanceactivity_{column}"), table_name="guidanceactivity")
    op.drop_table("guidanceactivity")
    with op.batch_alter_table("guidance") as batch:
        batch.drop_column("started_on")
        batch.drop_column("disaster_reduction")
        batch.drop_column("safe_community")
