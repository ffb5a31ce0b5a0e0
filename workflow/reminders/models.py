"""The reminder tables: the outbox, agency link tokens, bound contacts and the
documents they hand in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.core.clock import utcnow

# the tables our foreign keys name, so they are mapped whatever imported this module
from workflow.registry.models import Agency  # noqa: F401


class AgencyLinkToken(SQLModel, table=True):
    """A one-time deep-link token that binds whoever opens it to the agency."""

    __table_args__ = (UniqueConstraint("token", name="uq_agency_link_token"),)

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64)
    agency_id: int = Field(foreign_key="agency.id", index=True, ondelete="CASCADE")
    issued_by: str = Field(default="", max_length=100)
    issued_at: datetime = Field(default_factory=utcnow)
    used_by: int | None = Field(default=None, sa_type=BigInteger)
    used_at: datetime | None = None


class AgencyContact(SQLModel, table=True):
    """A Telegram user who receives an agency's reminders and may hand in its documents."""

    __table_args__ = (UniqueConstraint("telegram_user_id", name="uq_agency_contact_user"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True, ondelete="CASCADE")
    telegram_user_id: int = Field(sa_type=BigInteger)
    display_name: str = Field(default="", max_length=100)
    bound_at: datetime = Field(default_factory=utcnow)


class SubmittedDocument(SQLModel, table=True):
    """One file an agency handed in for a year: the annual report or evidence."""

    __table_args__ = (
        UniqueConstraint("agency_id", "year", "file_unique_id", name="uq_document_file"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True, ondelete="CASCADE")
    year: int = Field(index=True)
    kind: str = Field(max_length=20)
    stored_path: str = Field(max_length=500)
    original_name: str = Field(default="", max_length=255)
    mime_type: str = Field(default="", max_length=100)
    size: int = Field(default=0, ge=0)
    file_unique_id: str = Field(max_length=100)
    telegram_user_id: int | None = Field(default=None, sa_type=BigInteger)
    """The contact who sent it in the chat; empty for the agency's own web sign-in."""
    submitted_by: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    """Who handed it in: `tg:<id>` (a contact) or `agency:<id>` (the agency on the web)."""
    submitted_at: datetime = Field(default_factory=utcnow)


PENDING = "pending"
RESERVED = "reserved"
CLAIMED = "claimed"
SENT = "sent"
UNDELIVERABLE = "undeliverable"
FAILED = "failed"
UNCERTAIN = "uncertain"
SKIPPED = "skipped"
STATES = (PENDING, RESERVED, CLAIMED, SENT, UNDELIVERABLE, FAILED, UNCERTAIN, SKIPPED)


class Outbox(SQLModel, table=True):
    """One reminder message to one chat; `key` makes enqueueing idempotent."""

    __table_args__ = (UniqueConstraint("key", name="uq_outbox_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    kind: str = Field(max_length=30, index=True)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    due_at: datetime
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    state: str = Field(default=PENDING, max_length=20, index=True)
    attempts: int = Field(default=0)
    sender: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})
    """The sending pass that reserved the row (`outbox.reserve`); only it may claim it."""
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
