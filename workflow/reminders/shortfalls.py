"""The quarterly Art. 11 reminder's facts and text: which guided units of each agency on
the register fall short of the minimums, and the message its contacts read.

The shortfalls are counted as of the day after the quarter's records are due
(`minimums.unit_records`), so the quarter now running counts as due: the reminder says
what will be missing when the quarter ends if nothing more is recorded, while there is
still time to hold the meeting or the training and record it. The plan itself
(`plan.plan_guidance_reminders`) stays pure.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from workflow.community.models import Campaign
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings
from workflow.guidance.minimums import Quarter, Shortfall, unit_records
from workflow.lifecycle.states import HOLDING
from workflow.registry.models import Agency
from workflow.reminders.models import AgencyContact
from workflow.reminders.plan import GuidanceFacts, UnitShortfalls, days_left

# How many units the message lists before "and N more" (it must fit a phone screen).
UNITS_LISTED = 8


def guidance_facts(
    session: Session, campaign: Campaign, records_due: date, settings: Settings
) -> list[GuidanceFacts]:
    """Every agency on the register with a bound contact and a guided unit of the
    campaign's year that falls short by `records_due` (agencies without either are left
    out: nothing would be sent to them)."""
    chats: dict[int, list[int]] = {}
    for contact in session.exec(select(AgencyContact).order_by(col(AgencyContact.id))):
        chats.setdefault(contact.agency_id, []).append(contact.telegram_user_id)
    agencies = session.exec(
        select(Agency)
        .where(col(Agency.status).in_(HOLDING), col(Agency.id).in_(list(chats)))
        .order_by(col(Agency.id))
    ).all()
    as_of = records_due + timedelta(days=1)
    facts = []
    for agency in agencies:
        assert agency.id is not None
        units = tuple(
            UnitShortfalls(
                record.unit.name, tuple((s.code, dict(s.params)) for s in record.shortfalls)
            )
            for record in unit_records(session, agency.id, campaign.year, as_of, settings)
            if record.shortfalls
        )
        if units:
            facts.append(GuidanceFacts(agency.id, agency.name, tuple(chats[agency.id]), units))
    return facts


def shortfall_text(params: dict[str, Any], now: datetime, settings: Settings) -> str:
    """The reminder as the contact reads it at `now`: the quarter, the days left, and per
    unit what is still missing (at most `UNITS_LISTED` units, then how many more)."""
    language = settings.language

    def text(key: str, **values: object) -> str:
        return workflow_texts.text(f"guidance_reminders.{key}", language, **values)

    left = days_left(date.fromisoformat(params["due"]), now, settings)
    when = text("when_today") if left <= 0 else text("when_days", days=left)
    units = params["units"]
    lines = [
        text(
            "unit",
            unit=unit["unit"],
            missing=text("separator").join(
                Shortfall(code, values).message(language) for code, values in unit["missing"]
            ),
        )
        for unit in units[:UNITS_LISTED]
    ]
    if len(units) > UNITS_LISTED:
        lines.append(text("more_units", count=len(units) - UNITS_LISTED))
    return text(
        "message",
        agency=params["agency"],
        quarter=Quarter(params["year"], params["quarter"]).label(language),
        due=params["due"],
        when=when,
        count=len(units),
        units="\n".join(lines),
    )
