"""The audit log's tables: append-only entries chained by hashes, and the
one-row head that appends queue on. The mapper refuses updates and deletes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint, event
from sqlmodel import Field, SQLModel

from workflow.core.clock import utcnow
from workflow.core.errors import Refused
from workflow.registry.models import Agency  # noqa: F401  (PendingAdvance's foreign key)

GENESIS = "0" * 64
HEAD_ID = 1


class AuditEntry(SQLModel, table=True):
    """Who fired which trigger on which agency, when, from which state to which, and why."""

    __table_args__ = (UniqueConstraint("seq", name="uq_auditentry_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    seq: int
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=100)
    actor_name: str = Field(max_length=100)
    role: str = Field(max_length=20)
    channel: str = Field(max_length=10)
    agency_id: int | None = Field(default=None, index=True)
    application_id: int | None = None
    trigger: str = Field(max_length=40)
    source: str = Field(default="", max_length=20)
    target: str = Field(default="", max_length=20)
    reason: str = Field(default="")
    ground: str = Field(default="", max_length=40)
    subject: str = Field(default="", max_length=100)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The newest entry's sequence number and hash: the lock appends queue on."""

    id: int = Field(default=HEAD_ID, primary_key=True)
    seq: int = 0
    hash: str = Field(default=GENESIS, max_length=64)


class PendingAdvance(SQLModel, table=True):
    """An `/advance` waiting for its ✅ or ✖, stored so that it survives a restart and
    can be confirmed in any process; decided once (`decision` set), then kept for the record."""

    nonce: str = Field(primary_key=True, max_length=16)
    actor_key: str = Field(max_length=100)
    agency_id: int = Field(foreign_key="agency.id", ondelete="CASCADE")
    trigger: str = Field(max_length=40)
    reason: str | None = None
    ground: str | None = Field(default=None, max_length=40)
    seen_status: str = Field(max_length=20)
    created_at: datetime
    expires_at: datetime = Field(index=True)
    decided_at: datetime | None = None
    decision: str | None = Field(default=None, max_length=20)


# --- append-only through the ORM -------------------------------------------


@event.listens_for(AuditEntry, "before_update")
def _no_update(*_: object) -> None:
    raise Refused("lifecycle.audit.append_only")


@event.listens_for(AuditEntry, "before_delete")
def _no_delete(*_: object) -> None:
    raise Refused("lifecycle.audit.append_only")
