"""Survey tables: invitations, answers in progress, and the history of submissions.

- `Invitation`: one per (creation unit, agency, year) that has a guidance
  record; its token is both the Telegram deep-link payload and the web link's
  path (`/s/<token>`). The first respondent who opens it — a Telegram user, or a
  browser on its first POST — is bound to it, whatever the channel.
- `SurveyProgress`: the answers as they are given, one row per invitation,
  written on every tap, so a restarted bot resumes at the same question.
- `Submission`: every submitted answer set, never changed or deleted; the
  latest per invitation is the unit's response.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

# the tables our foreign keys name, so they are mapped whatever imported this module
from workflow.community.models import CreationUnit  # noqa: F401
from workflow.core.clock import utcnow
from workflow.registry.models import Agency  # noqa: F401

CHANNELS = ("telegram", "web", "forum", "paper", "phone")
"""Every channel a submission can come by (RULES, questionnaire)."""
ADMIN_CHANNELS = ("forum", "paper", "phone")
"""The channels an admin enters answers by, on the unit's behalf (Art. 12)."""

# SurveyProgress.position: 1–5 is the question shown, then the review screen,
# then "submitted, nothing pending".
REVIEW = 6
DONE = 7


def answers_of(row: SurveyProgress | Submission) -> dict[int, int]:
    """The answers given so far, item number → points."""
    values = (row.item1, row.item2, row.item3, row.item4, row.item5)
    return {number: value for number, value in enumerate(values, start=1) if value is not None}


class Invitation(SQLModel, table=True):
    """The invitation of one creation unit to rate one agency for one year."""

    __table_args__ = (
        UniqueConstraint("unit_id", "agency_id", "year", name="uq_invitation_unit_agency_year"),
        UniqueConstraint("token", name="uq_invitation_token"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="creationunit.id", index=True, ondelete="CASCADE")
    agency_id: int = Field(foreign_key="agency.id", index=True, ondelete="CASCADE")
    year: int = Field(index=True)
    token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    opened_at: datetime | None = None
    respondent_channel: str | None = Field(default=None, max_length=10)
    """How the bound respondent answers: `telegram` or `web` (None: nobody bound yet)."""
    respondent_key: str | None = Field(default=None, max_length=64)
    """Who is bound, channel-neutral: a Telegram user id, or the SHA-256 of a browser's
    respondent cookie. The binding checks compare channel and key."""
    bound_user_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    """The bound Telegram user, the one reminders can reach (None for a browser)."""
    bound_at: datetime | None = None
    rebound_by: str = Field(default="", max_length=100)
    rebound_at: datetime | None = None


class SurveyProgress(SQLModel, table=True):
    """Where an invited unit is in the survey, and the answers it has given so far."""

    invitation_id: int = Field(foreign_key="invitation.id", primary_key=True, ondelete="CASCADE")
    position: int = Field(default=1)
    item1: int | None = None
    item2: int | None = None
    item3: int | None = None
    item4: int | None = None
    item5: int | None = None
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    # bumped by every write: a tap writes only if nobody wrote since it read (compare-and-set)
    revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    started_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Submission(SQLModel, table=True):
    """One submitted answer set; earlier ones stay as the history."""

    __table_args__ = (UniqueConstraint("receipt", name="uq_submission_receipt"),)

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True, ondelete="CASCADE")
    item1: int
    item2: int
    item3: int
    item4: int
    item5: int
    receipt: str = Field(max_length=8)
    user_id: int = Field(sa_type=BigInteger)
    """The Telegram user who submitted; 0 for answers an admin entered on the unit's behalf."""
    submitted_at: datetime = Field(default_factory=utcnow)
    channel: str = Field(
        default="telegram", max_length=10, sa_column_kwargs={"server_default": "telegram"}
    )
    """How the answers came: telegram, web, or entered by an admin: forum, paper, phone."""
    entered_by: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    """The admin who entered answers given at a forum, on paper or by phone ("" otherwise)."""
