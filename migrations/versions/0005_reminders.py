"""reminders: reminder outbox and agency contacts

Revision ID: 0005_reminders
Revises: 0004_surveys
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005_reminders"
down_revision = "0004_surveys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_chat_id"), ["chat_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_state"), ["state"], unique=False)

    op.create_table(
        "agencycontact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("bound_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("telegram_user_id", name="uq_agency_contact_user"),
    )
    with op.batch_alter_table("agencycontact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agencycontact_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "agencylinktoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("issued_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("issued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token", name="uq_agency_link_token"),
    )
    with op.batch_alter_table("agencylinktoken", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agencylinktoken_agency_id"), ["agency_id"], unique=False
        )

    op.create_table(
        "submitteddocument",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("stored_path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("original_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("mime_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("file_unique_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency_id", "year", "file_unique_id", name="uq_document_file"),
    )
    with op.batch_alter_table("submitteddocument", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submitteddocument_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_submitteddocument_year"), ["year"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("submitteddocument", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submitteddocument_year"))
        batch_op.drop_index(batch_op.f("ix_submitteddocument_agency_id"))
    op.drop_table("submitteddocument")
    with op.batch_alter_table("agencylinktoken", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agencylinktoken_agency_id"))
    op.drop_table("agencylinktoken")
    with op.batch_alter_table("agencycontact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agencycontact_agency_id"))
    op.drop_table("agencycontact")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_state"))
        batch_op.drop_index(batch_op.f("ix_outbox_kind"))
        batch_op.drop_index(batch_op.f("ix_outbox_chat_id"))
    op.drop_table("outbox")
