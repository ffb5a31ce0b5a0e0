"""surveys: survey invitations and answers

Revision ID: 0004_surveys
Revises: 0003_assessment
Create Date: 2026-11-26
"""

from __future__ import annotations

revision = "0004_surveys"
down_revision = "0003_assessment"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
