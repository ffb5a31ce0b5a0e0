"""Creation units, guidance records and the yearly campaign."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

# the tables our foreign keys name, so they are mapped whatever imported this module
from workflow.core.clock import utcnow
from workflow.registry.models import Agency  # noqa: F401


class CreationUnit(SQLModel, table=True):
    """A community (创建单位) in one or both programmes."""

    __table_args__ = (UniqueConstraint("name", "district", name="uq_unit_name_district"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    district: str = Field(max_length=50)
    safe_community: bool = False
    disaster_reduction: bool = False


class Guidance(SQLModel, table=True):
    """Which agency guided which creation unit in which year, in which programme(s), from
    when: the programme decides Art. 11 2(4)'s minimum (15 projects for a safe community,
    none for a disaster-reduction community), the start the quarters of 1(3) and the
    earliest date of a recorded activity."""

    __table_args__ = (
        UniqueConstraint("unit_id", "agency_id", "year", name="uq_guidance_unit_agency_year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="creationunit.id", index=True, ondelete="CASCADE")
    agency_id: int = Field(foreign_key="agency.id", index=True, ondelete="CASCADE")
    year: int = Field(index=True)
    safe_community: bool = False
    disaster_reduction: bool = False
    started_on: date | None = None
    """The first day of guidance this year; None means 1 January."""


class Campaign(SQLModel, table=True):
    """The yearly assessment campaign and its dates (Art. 15), local dates in the settings zone."""

    year: int = Field(primary_key=True)
    opens: date
    report_due: date
    questionnaire_closes: date
    results_published: date


class Forum(SQLModel, table=True):
    """A creation-unit forum (创建单位座谈会, Art. 12) held by the Association: evidence for
    section 3 of the assessment. The minutes file's path is stored after the commit that
    recorded the forum, once the file has been copied into the minutes folder."""

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    held_on: date
    notes: str = Field(default="")
    minutes_path: str = Field(default="", max_length=500)
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = Field(default_factory=utcnow)


class ForumAttendance(SQLModel, table=True):
    """A creation unit present at a forum."""

    forum_id: int = Field(foreign_key="forum.id", primary_key=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="creationunit.id", primary_key=True, ondelete="CASCADE")
