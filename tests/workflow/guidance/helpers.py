"""A guided unit, an agency contact and an admin for the guidance tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from tests.workflow.assessment_builders import new_agency
from workflow.access.actors import Actor
from workflow.community.models import CreationUnit, Guidance
from workflow.reminders.models import AgencyContact

YEAR = 2026
CONTACT_ID = 5_550_001
TODAY = date(2026, 11, 20)


@dataclass
class World:
    agency_id: int
    unit_id: int
    guidance: Guidance
    contact: Actor
    admin: Actor


def guided(
    session: Session,
    *,
    safe: bool = True,
    disaster: bool = False,
    started_on: date | None = None,
    name: str = "幸福里社区",
    contact_id: int = CONTACT_ID,
) -> World:
    agency = new_agency(session)
    assert agency.id is not None
    unit = CreationUnit(
        name=name, district="东城区", safe_community=safe, disaster_reduction=disaster
    )
    session.add(unit)
    session.flush()
    assert unit.id is not None
    guidance = Guidance(
        unit_id=unit.id,
        agency_id=agency.id,
        year=YEAR,
        safe_community=safe,
        disaster_reduction=disaster,
        started_on=started_on,
    )
    session.add(guidance)
    session.add(AgencyContact(agency_id=agency.id, telegram_user_id=contact_id, display_name="王"))
    session.flush()
    return World(
        agency.id,
        unit.id,
        guidance,
        Actor.telegram(contact_id, "王联系人"),
        Actor.cli("admin"),
    )
