"""One reminder cycle's facts and plan: which campaigns are near, what the plan
needs from the database, and enqueueing what is due now.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from surveys.coverage import Status, coverage, pending_recipients
from workflow.community.campaigns import campaign_for
from workflow.community.models import Campaign
from workflow.core.clock import local_date
from workflow.core.settings import Settings
from workflow.reminders import models, outbox
from workflow.reminders.contacts import agency_facts
from workflow.reminders.plan import KINDS, Facts, Reminder, due_reminders, plan

# --- facts from the database -----------------------------------------------------------


def campaigns_near(session: Session, now: datetime, settings: Settings) -> list[Campaign]:
    """This year's campaign, and next year's if its dates are already set (a January deadline
    has its first reminders in December)."""
    year = local_date(now, settings.zone).year
    campaigns = [campaign_for(session, year, settings)]
    following = session.get(Campaign, year + 1)
    if following is not None:
        campaigns.append(following)
    return campaigns


def gather_facts(session: Session, campaign: Campaign) -> Facts:
    """What the plan needs for `campaign`, read from the database."""
    units = coverage(session, campaign.year)
    return Facts(
        agencies=agency_facts(session, campaign.year),
        pending_units=pending_recipients(session, campaign.year),
        units_not_submitted=sum(1 for unit in units if unit.status != Status.SUBMITTED),
        undeliverable=len(outbox.undeliverable_chats(session)),
        uncertain=outbox.counts(session)[models.UNCERTAIN],
    )


def current_plan(session: Session, now: datetime, settings: Settings) -> list[Reminder]:
    """Every reminder still relevant at `now`, due or not (for `safecomm remind plan`)."""
    reminders = []
    for campaign in campaigns_near(session, now, settings):
        reminders += plan(campaign, gather_facts(session, campaign), now, settings)
    return sorted(reminders, key=lambda r: (r.due_at, r.key))


def enqueue_due(session: Session, now: datetime, settings: Settings) -> tuple[int, int]:
    """Enqueue what is due now and skip pending rows the plan dropped; (enqueued, skipped)."""
    due: list[Reminder] = []
    for campaign in campaigns_near(session, now, settings):
        due += due_reminders(campaign, gather_facts(session, campaign), now, settings)
    added = outbox.enqueue(session, due, now)
    skipped = outbox.retire(session, {r.key for r in due}, KINDS)
    return added, skipped
