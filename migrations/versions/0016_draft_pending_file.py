"""activity drafts hold a file waiting for its owner to say what it is

Revision ID: 0016_draft_pending_file
Revises: 0015_guidance_activities
Create Date: 2026-12-02

A file an agency contact sends with no guided flow open is stored only once they
choose what it is (RULES, annual assessment): until then its Telegram file id,
name, type and size wait on the contact's `activitydraft` row. A draft also keeps
the programme a promotion project belongs to, asked when the unit is guided in both.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0016_draft_pending_file"
down_revision = "0015_guidance_activities"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("activitydraft") as batch:
        batch.add_column(sa.Column("file_id", _TEXT(length=200), server_default="", nullable=False))
        batch.add_column(
            sa.Column("file_unique_id", _TEXT(length=100), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column("file_name", _TEXT(length=255), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column("file_mime", _TEXT(length=100), server_default="", nullable=False)
        )
        batch.add_column(sa.Column("file_size", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("programme", _TEXT(length=30), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("activitydraft") as batch:
        for name in (
            "programme",
            "file_size",
            "file_mime",
            "file_name",
            "file_unique_id",
            "file_id",
        ):
            batch.drop_column(name)
