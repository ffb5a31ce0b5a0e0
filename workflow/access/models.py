"""Roles granted to Telegram users beyond those named in the settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.core.clock import utcnow


class RoleGrant(SQLModel, table=True):
    """A role given to one Telegram user by an operator (one role per person)."""

    __table_args__ = (UniqueConstraint("actor_key", name="uq_rolegrant_actor_key"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_key: str = Field(max_length=100)
    role: str = Field(max_length=20)
    granted_by: str = Field(max_length=100)
    granted_at: datetime = Field(default_factory=utcnow)
