"""Creation units, guidance records and the yearly campaign."""

from __future__ import annotations

from datetime import date

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

# the tables our foreign keys name, so they are mapped whatever imported this module
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
    """Which agency guided which creation unit in which year."""

    __table_args__ = (
        UniqueConstraint("unit_id", "agency_id", "year", name="uq_guidance_unit_agency_year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="creationunit.id", index=True, ondelete="CASCADE")
    agency_id: int = Field(foreign_key="agency.id", index=True, ondelete="CASCADE")
    year: int = Field(index=True)


class Campaign(SQLModel, table=True):
    """The yearly assessment campaign and its dates (Art. 15), local dates in the settings zone."""

    year: int = Field(primary_key=True)
    opens: date
    report_due: date
    questionnaire_closes: date
    results_published: date
