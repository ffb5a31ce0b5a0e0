"""corrections: the consultant's photo as a stored image

Revision ID: 0013_corrections
Revises: 0012_publication_objections
Create Date: 2026-12-02

`consultantphoto` keeps each consultant's photo (人员登记表 照片) as the image bytes,
JPEG or PNG, checked by its first bytes when stored (issue 11 item 5). The old free-text
`consultant.photo` column stays for the data already in it; no form reads it any more.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013_corrections"
down_revision = "0012_publication_objections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consultantphoto",
        sa.Column("consultant_id", sa.Integer(), nullable=False),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("stored_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.ForeignKeyConstraint(["consultant_id"], ["consultant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("consultant_id"),
    )


def downgrade() -> None:
    op.drop_table("consultantphoto")
