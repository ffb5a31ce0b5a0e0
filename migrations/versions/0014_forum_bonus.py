"""forum and bonus: bonus cases per creation unit, forums, the channel of a submission

Revision ID: 0014_forum_bonus
Revises: 0013_corrections
Create Date: 2026-12-02

`bonusaward` keeps each bonus case (Art. 13) per creation unit and title / base /
project with its evidence, unique per (code, claim); the count-only `bonusentry`
rows stay as legacy counts. `forum` and `forumattendance` keep the creation-unit
forums (创建单位座谈会, Art. 12). `submission` gains its channel and who entered it;
existing submissions came through Telegram.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014_forum_bonus"
down_revision = "0013_corrections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bonusaward",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("claim", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("evidence", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("entered_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("entered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["sheet_id"], ["scoresheet.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["creationunit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", "claim", name="uq_bonusaward_code_claim"),
    )
    op.create_index(op.f("ix_bonusaward_sheet_id"), "bonusaward", ["sheet_id"], unique=False)
    op.create_index(op.f("ix_bonusaward_unit_id"), "bonusaward", ["unit_id"], unique=False)
    op.create_table(
        "forum",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("minutes_path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_forum_year"), "forum", ["year"], unique=False)
    op.create_table(
        "forumattendance",
        sa.Column("forum_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["forum_id"], ["forum.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["creationunit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("forum_id", "unit_id"),
    )
    with op.batch_alter_table("submission") as batch:
        batch.add_column(
            sa.Column(
                "channel",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                server_default="telegram",
                nullable=False,
            )
        )
        batch.add_column(
            sa.Column(
                "entered_by",
                sqlmodel.sql.sqltypes.AutoString(length=100),
                server_default="",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("entered_by")
        batch.drop_column("channel")
    op.drop_table("forumattendance")
    op.drop_index(op.f("ix_forum_year"), table_name="forum")
    op.drop_table("forum")
    op.drop_index(op.f("ix_bonusaward_unit_id"), table_name="bonusaward")
    op.drop_index(op.f("ix_bonusaward_sheet_id"), table_name="bonusaward")
    op.drop_table("bonusaward")
