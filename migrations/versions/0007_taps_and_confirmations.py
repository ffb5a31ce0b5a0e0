"""taps and confirmations: a revision on survey progress, pending /advance confirmations

Revision ID: 0007_taps_and_confirmations
Revises: 0006_finalised_policy
Create Date: 2026-12-02

`surveyprogress.revision` lets a tap write with one compare-and-set UPDATE
instead of a locking read. `pendingadvance` keeps the `/advance` confirmations
that lived in the bot's memory, so a restart or a second process honours them.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007_taps_and_confirmations"
down_revision = "0006_finalised_policy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("surveyprogress", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "pendingadvance",
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("actor_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("ground", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("seen_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("nonce"),
    )
    op.create_index(
        op.f("ix_pendingadvance_expires_at"), "pendingadvance", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_pendingadvance_expires_at"), table_name="pendingadvance")
    op.drop_table("pendingadvance")
    with op.batch_alter_table("surveyprogress", schema=None) as batch_op:
        batch_op.drop_column("revision")
