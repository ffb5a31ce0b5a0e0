"""several processes on one database: webhook updates handled once, outbox batches

Revision ID: 0018_workers
Revises: 0017_web_channel
Create Date: 2026-12-03

In webhook mode Telegram may deliver one update twice (a retry, or two workers
behind nginx): `receivedupdate` records each `update_id` a worker took, so it is
handled once. The reminder sender now reserves due rows in batches (`FOR UPDATE
SKIP LOCKED`); `outbox.sender` names the sending pass that reserved a row, so
only that pass claims it.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0018_workers"
down_revision = "0017_web_channel"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "receivedupdate",
        sa.Column("update_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("state", _TEXT(length=10), nullable=False),
        sa.Column("taken_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("sender", _TEXT(length=40), nullable=False, server_default=""))


def downgrade() -> None:
    # a row reserved by a running pass goes back to pending: the older sender takes it anew
    op.execute("UPDATE outbox SET state = 'pending' WHERE state = 'reserved'")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("sender")
    op.drop_table("receivedupdate")
