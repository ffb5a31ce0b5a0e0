"""One reminder cycle's facts and plan: which campaigns are near, what the plan
needs from the database, and enqueueing what is due now.

The questionnaire's side of the facts (which units to remind) belongs to
`surveys`, which sits above this package: the caller hands in the reader
(`surveys.coverage.unit_facts`), so the rule stays here and the import points down.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from workflow.community.campaigns import campaign_or_default, current_campaign_year
from workflow.community.models import Campaign
from workflow.core.clock import local_date
from workflow.core.settings import Settings
from workflow.reminders import models, outbox
from workflow.reminders.contacts import agency_facts
from workflow.reminders.plan import (
    KINDS,
    Facts,
    GuidanceFacts,
    PendingUnit,
    Reminder,
    due_reminders,
    guidance_quarter,
    plan,
)
from workflow.reminders.shortfalls import guidance_facts


@dataclass(frozen=True)
class UnitFacts:
    """What the questionnaire tells the plan about a year: the opened, unsubmitted
    invitations to remind, and how many guided units have not submitted at all."""

    pending: Sequence[PendingUnit] = ()
    not_submitted: int = 0


UnitFactsReader = Callable[[Session, int], UnitFacts]
"""`(session, year) -> UnitFacts`, provided by `surveys.coverage.unit_facts`."""


# --- facts from the database -----------------------------------------------------------


def campaigns_near(session: Session, now: datetime, settings: Settings) -> list[Campaign]:
    """The current campaign (`current_campaign_year`: in January, last year's while its
    window runs into the new year), and the following one if its dates are already set."""
    year = current_campaign_year(session, now, settings)
    campaigns = [campaign_or_default(session, year, settings)]
    following = session.get(Campaign, year + 1)
    if following is not None:
        campaigns.append(following)
    return campaigns


def gather_facts(
    session: Session, campaign: Campaign, units: UnitFactsReader, now: datetime, settings: Settings
) -> Facts:
    """What the plan needs for `campaign` at `now`, read from the database."""
    questionnaire = units(session, campaign.year)
    return Facts(
        guidance=quarterly_facts(session, campaign, now, settings),
        agencies=agency_facts(session, campaign.year),
        pending_units=questionnaire.pending,
        units_not_submitted=questionnaire.not_submitted,
        undeliverable=len(outbox.undeliverable_chats(session)),
        uncertain=outbox.counts(session)[models.UNCERTAIN],
    )


def quarterly_facts(
    session: Session, campaign: Campaign, now: datetime, settings: Settings
) -> list[GuidanceFacts]:
    """The Art. 11 shortfalls of this quarter, read only while its reminder may be
    relevant (switched on, and `now` in a quarter of the campaign's year)."""
    window = guidance_quarter(campaign, local_date(now, settings.zone))
    if not settings.guidance_reminders or window is None:
        return []
    return guidance_facts(session, campaign, window[1], settings)


def current_plan(
    session: Session, now: datetime, settings: Settings, units: UnitFactsReader
) -> list[Reminder]:
    """Every reminder still relevant at `now`, due or not (for `safecomm remind plan`)."""
    reminders = []
    for campaign in campaigns_near(session, now, settings):
        reminders += plan(
            campaign, gather_facts(session, campaign, units, now, settings), now, settings
        )
    return sorted(reminders, key=lambda r: (r.due_at, r.key))


def enqueue_due(
    session: Session, now: datetime, settings: Settings, units: UnitFactsReader
) -> tuple[int, int]:
    """Enqueue what is due now and skip pending rows the plan dropped; (enqueued, skipped)."""
    due: list[Reminder] = []
    for campaign in campaigns_near(session, now, settings):
        facts = gather_facts(session, campaign, units, now, settings)
        due += due_reminders(campaign, facts, now, settings)
    added = outbox.enqueue(session, due, now)
    skipped = outbox.retire(session, {r.key for r in due}, KINDS)
    return added, skipped
