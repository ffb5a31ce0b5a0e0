"""Test data for the survey tests: agencies with guided, invited creation units."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from surveys.invitations import issue_invitations
from surveys.models import Invitation
from tests.builders import make_agency
from workflow.community.models import CreationUnit
from workflow.community.units import add_guidance, add_unit
from workflow.registry.models import Agency

# A year whose questionnaire (default: closes 20 Dec) is still open whenever the tests run,
# and one long closed.
OPEN_YEAR = date.today().year + 1
CLOSED_YEAR = 2020

_serial = itertools.count(1)


@dataclass
class Guided:
    agency: Agency
    units: list[CreationUnit]
    invitations: list[Invitation]


def guided_units(
    session: Session, count: int = 3, year: int = OPEN_YEAR, agency: Agency | None = None
) -> Guided:
    """An agency that guided `count` new units in `year`, with the invitations issued."""
    agency = agency or make_agency(session, consultants=0, seniors=0)
    units = []
    for _ in range(count):
        unit = add_unit(session, f"测试社区{next(_serial)}", "朝阳区", safe_community=True)
        add_guidance(session, unit, agency, year)
        units.append(unit)
    issue_invitations(session, year)
    session.commit()
    query = select(Invitation).where(Invitation.agency_id == agency.id, Invitation.year == year)
    by_unit = {inv.unit_id: inv for inv in session.exec(query).all()}
    return Guided(agency, units, [by_unit[unit.id] for unit in units])
