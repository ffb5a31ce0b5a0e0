"""Guidance activities (Art. 11) and their evidence files."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.community.models import CreationUnit  # noqa: F401  (the tables our keys name)
from workflow.core.clock import utcnow
from workflow.registry.models import Agency  # noqa: F401


class GuidanceActivity(SQLModel, table=True):
    """One piece of guidance work an agency did for a creation unit in a campaign year:
    a kick-off meeting, a training, a progress meeting, a plan, … (`workflow.guidance.kinds`).

    `details` holds what only some kinds have (the leading body's members by category,
    a risk visit's points, hazards and measures, a project's field and status), checked
    by `kinds.check_details`. `on_behalf` marks work an admin recorded for the agency
    (paper evidence). `revision` makes edits compare-and-set."""

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="creationunit.id", index=True, ondelete="CASCADE")
    year: int = Field(index=True)
    kind: str = Field(max_length=30)
    topic: str = Field(default="", max_length=30)
    programme: str = Field(default="", max_length=30)
    held_on: date
    title: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=500)
    attendance: int | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    recorded_by: str = Field(max_length=100)
    on_behalf: bool = False
    recorded_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    revision: int = 1


class EvidenceFile(SQLModel, table=True):
    """A file that evidences an activity (photo, sign-in sheet, minutes, plan), stored
    under `upload_dir/<year>/<agency id>/guidance/` with its SHA-256. The same content is
    kept once per agency and campaign (`uq_evidence_checksum`): a second upload of it is
    refused, naming the activity that already has it."""

    __table_args__ = (UniqueConstraint("agency_id", "year", "sha256", name="uq_evidence_checksum"),)

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="guidanceactivity.id", index=True, ondelete="CASCADE")
    agency_id: int = Field(foreign_key="agency.id", index=True, ondelete="CASCADE")
    year: int = Field(index=True)
    stored_path: str = Field(max_length=500)
    original_name: str = Field(default="", max_length=255)
    mime_type: str = Field(default="", max_length=100)
    size: int = Field(default=0, ge=0)
    sha256: str = Field(max_length=64)
    uploaded_by: str = Field(max_length=100)
    uploaded_at: datetime = Field(default_factory=utcnow)


class ActivityDraft(SQLModel, table=True):
    """An activity being recorded step by step (the agency chat's guided flow), kept in
    the database so the flow resumes where it was after a restart. One draft per
    recorder; `activity_id` is set once the activity is saved and files are being added.
    `file_*` hold a file sent with no flow open until the contact says what it is."""

    recorder: str = Field(primary_key=True, max_length=100)
    agency_id: int = Field(foreign_key="agency.id", index=True, ondelete="CASCADE")
    year: int
    step: str = Field(max_length=20)
    unit_id: int | None = Field(default=None, foreign_key="creationunit.id", ondelete="CASCADE")
    kind: str = Field(default="", max_length=30)
    topic: str = Field(default="", max_length=30)
    programme: str = Field(default="", max_length=30)
    held_on: date | None = None
    description: str = Field(default="", max_length=500)
    activity_id: int | None = Field(
        default=None, foreign_key="guidanceactivity.id", ondelete="CASCADE"
    )
    message_id: int | None = None
    file_id: str = Field(default="", max_length=200)
    file_unique_id: str = Field(default="", max_length=100)
    file_name: str = Field(default="", max_length=255)
    file_mime: str = Field(default="", max_length=100)
    file_size: int | None = None
    updated_at: datetime = Field(default_factory=utcnow)
