"""lifecycle: audit log and roles

Revision ID: 0002_lifecycle
Revises: 0001_registry
Create Date: 2026-11-26
"""

from __future__ import annotations

revision = "0002_lifecycle"
down_revision = "0001_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
