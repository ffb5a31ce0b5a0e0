"""reminders: reminder outbox and agency contacts

Revision ID: 0005_reminders
Revises: 0004_surveys
Create Date: 2026-11-26
"""

from __future__ import annotations

revision = "0005_reminders"
down_revision = "0004_surveys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
