"""Roles granted to Telegram users beyond those named in the settings, the one-time
sign-in links of the web pages, and the Telegram updates the webhook received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.core.clock import utcnow

# the table our foreign key names, so it is mapped whatever imported this module
from workflow.registry.models import Agency  # noqa: F401


class RoleGrant(SQLModel, table=True):
    """A role given to one Telegram user by an operator (one role per person)."""

    __table_args__ = (UniqueConstraint("actor_key", name="uq_rolegrant_actor_key"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_key: str = Field(max_length=100)
    role: str = Field(max_length=20)
    granted_by: str = Field(max_length=100)
    granted_at: datetime = Field(default_factory=utcnow)


class WebLogin(SQLModel, table=True):
    """A one-time sign-in link for the web pages: an agency's contact (`agency_id`) or an
    admin or expert (`actor_key`, the key their role is granted to). Only the token's
    SHA-256 is stored, so the table leaks no usable link; the first visit uses it up."""

    __table_args__ = (UniqueConstraint("token_hash", name="uq_weblogin_token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64)
    kind: str = Field(max_length=10)
    """`agency` or `staff`."""
    agency_id: int | None = Field(default=None, foreign_key="agency.id", ondelete="CASCADE")
    actor_key: str = Field(default="", max_length=100)
    label: str = Field(default="", max_length=100)
    """The name the pages greet and the audit log records."""
    issued_by: str = Field(default="", max_length=100)
    issued_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None
    """The session this link started ended for good (signed out, or revoked by an admin)."""


class WebForm(SQLModel, table=True):
    """The one-time id of a web form that creates something, once it has been sent: the
    same form sent again (a double tap, a reload, the back button) creates nothing more."""

    nonce: str = Field(primary_key=True, max_length=64)
    used_at: datetime = Field(default_factory=utcnow)


class ReceivedUpdate(SQLModel, table=True):
    """A Telegram update delivered to the webhook: Telegram retries a delivery it got no
    answer for, and several workers may receive the same one, so each `update_id` is
    handled once (`workflow.access.updates`)."""

    update_id: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    state: str = Field(max_length=10)
    """`processing` while a worker handles it, then `done`."""
    taken_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None
