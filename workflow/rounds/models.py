"""The application round table (Art. 10)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from workflow.core.clock import utcnow


class Round(SQLModel, table=True):
    """An application round (Art. 10) with an optional quota of agencies to file."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    quota: int | None = Field(default=None, ge=1)
    opened_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    interview_list_at: datetime | None = None
    """When the list invited to interview (面试答辩名单) was first published."""
