"""channel-neutral survey respondents and one-time web sign-in links

Revision ID: 0017_web_channel
Revises: 0016_draft_pending_file
Create Date: 2026-12-02

An invitation opens in Telegram or in a phone browser (RULES, questionnaire):
it is now bound to a respondent key with its channel (`telegram`: the user id;
`web`: the SHA-256 of the browser's respondent cookie). `bound_user_id` stays
the Telegram user that reminders reach. `weblogin` holds the one-time sign-in
links of agency contacts and of admins and experts (only the token's hash);
a session started by one ends for good when `revoked_at` is set (sign-out,
`safecomm web revoke`). `webform` holds the one-time ids of forms that create
something, so a form sent twice creates it once.
A document handed in on the web by the agency's own sign-in has no Telegram
user: `submitteddocument.telegram_user_id` may be empty and `submitted_by`
records who handed it in (`tg:<id>` or `agency:<id>`).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0017_web_channel"
down_revision = "0016_draft_pending_file"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("invitation") as batch:
        batch.add_column(sa.Column("respondent_channel", _TEXT(length=10), nullable=True))
        batch.add_column(sa.Column("respondent_key", _TEXT(length=64), nullable=True))
    op.execute(
        "UPDATE invitation SET respondent_channel = 'telegram',"
        " respondent_key = CAST(bound_user_id AS VARCHAR(64)) WHERE bound_user_id IS NOT NULL"
    )
    op.create_table(
        "weblogin",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", _TEXT(length=64), nullable=False),
        sa.Column("kind", _TEXT(length=10), nullable=False),
        sa.Column(
            "agency_id", sa.Integer(), sa.ForeignKey("agency.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("actor_key", _TEXT(length=100), nullable=False),
        sa.Column("label", _TEXT(length=100), nullable=False),
        sa.Column("issued_by", _TEXT(length=100), nullable=False),
        sa.Column("issued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_weblogin_token_hash"),
    )
    op.create_table(
        "webform",
        sa.Column("nonce", _TEXT(length=64), primary_key=True),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("submitteddocument") as batch:
        batch.alter_column("telegram_user_id", existing_type=sa.BigInteger(), nullable=True)
        batch.add_column(
            sa.Column("submitted_by", _TEXT(length=100), nullable=False, server_default="")
        )
    op.execute(
        "UPDATE submitteddocument SET submitted_by = 'tg:' || CAST(telegram_user_id AS VARCHAR(20))"
    )


def downgrade() -> None:
    # documents handed in by an agency's own web sign-in have no Telegram user: their rows
    # go, their files stay in the upload folder (list them first to keep or remove them)
    op.execute("DELETE FROM submitteddocument WHERE telegram_user_id IS NULL")
    op.drop_table("webform")
    with op.batch_alter_table("submitteddocument") as batch:
        batch.drop_column("submitted_by")
        batch.alter_column("telegram_user_id", existing_type=sa.BigInteger(), nullable=False)
    op.drop_table("weblogin")
    with op.batch_alter_table("invitation") as batch:
        batch.drop_column("respondent_key")
        batch.drop_column("respondent_channel")
