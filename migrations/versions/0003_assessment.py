"""assessment: score sheets

Revision ID: 0003_assessment
Revises: 0002_lifecycle
Create Date: 2026-11-26
"""

from __future__ import annotations

revision = "0003_assessment"
down_revision = "0002_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
