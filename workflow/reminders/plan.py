"""The reminder plan: which reminder is due to whom and when — pure functions over dates.

Nothing here reads the database or the clock: the caller passes the campaign,
the facts (who is still missing what, who is bound to which chat) and `now`.
That keeps the rules testable over any date, and lets the bot, the CLI and the
benchmark share one plan.

Rules (offsets and the quiet period are settings):
- agencies: the annual report is due on `report_due`; each bound contact is
  reminded `agency_reminder_days` days before (default T-7, T-3, T-1 and on the
  day), only while the report or the evidence is missing;
- creation units: staff bound to a questionnaire invitation that is not
  submitted are reminded `unit_reminder_days` before `questionnaire_closes`
  (default T-5, T-2 and on the day);
- admins: a daily digest from the day the campaign opens until the results are
  published;
- agencies during the year (Art. 11): each bound contact of an agency on the
  register is told, `guidance_reminder_days` before the end of each quarter (the
  report deadline for the quarter it falls in), which guided units still fall
  short of the minimums — only while some unit does (`guidance_reminders` on/off).

A reminder falls due at `settings.reminder_send_time` (local, default 09:00) on its day; a due time inside the
quiet period moves to the quiet period's end. Offsets count calendar days, so
T-7 of a 3 January deadline is 27 December of the year before. When several
reminders of one series fell due while the bot was down, only the latest is
still relevant (the others are superseded); a reminder whose deadline passed,
or whose recipient is no longer missing anything, is not relevant at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from workflow.community.campaigns import is_open
from workflow.community.models import Campaign
from workflow.core.clock import local_date
from workflow.core.settings import Settings
from workflow.guidance.minimums import Quarter, quarter_of

AGENCY_REPORT = "agency_report"
UNIT_QUESTIONNAIRE = "unit_questionnaire"
ADMIN_DIGEST = "admin_digest"
GUIDANCE_SHORTFALL = "guidance_shortfall"
KINDS = (AGENCY_REPORT, UNIT_QUESTIONNAIRE, ADMIN_DIGEST, GUIDANCE_SHORTFALL)

# What an agency hands in every year; `AgencyFacts.missing` holds a subset, in this order.
REPORT = "report"
EVIDENCE = "evidence"
DOCUMENT_KINDS = (REPORT, EVIDENCE)
# What a file handed in is, as the contact chooses it (RULES, annual assessment): the
# report (4.3), training evidence (4.1), the risk-identification and project report
# (4.2), other evidence ("evidence", also every row from before the choice existed).
TRAINING_EVIDENCE = "training_evidence"
RISK_REPORT = "risk_report"
FILE_KINDS = (REPORT, TRAINING_EVIDENCE, RISK_REPORT, EVIDENCE)


def owed_kind(kind: str) -> str:
    """Which of `DOCUMENT_KINDS` a file of `kind` counts for: every evidence kind is evidence."""
    return REPORT if kind == REPORT else EVIDENCE


# How many agency names the digest lists before "…and N more".
DIGEST_NAMES = 20


@dataclass(frozen=True)
class AgencyFacts:
    """An agency that owes the year's report: its bound chats and what is still missing."""

    agency_id: int
    name: str
    chat_ids: tuple[int, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class PendingUnit:
    """A questionnaire invitation opened in a chat (`chat_id`) and not yet submitted."""

    chat_id: int
    unit_name: str
    agency_name: str
    invitation_key: str


@dataclass(frozen=True)
class UnitShortfalls:
    """A guided unit below the Art. 11 minimums: its name and each shortfall (code, params)."""

    unit_name: str
    shortfalls: tuple[tuple[str, dict[str, Any]], ...]


@dataclass(frozen=True)
class GuidanceFacts:
    """An agency on the register, its bound chats and its guided units that fall short."""

    agency_id: int
    name: str
    chat_ids: tuple[int, ...]
    units: tuple[UnitShortfalls, ...]


@dataclass(frozen=True)
class Facts:
    """Everything the plan needs from the database, as plain data."""

    agencies: Sequence[AgencyFacts] = ()
    pending_units: Sequence[PendingUnit] = ()
    # guided units without a submission, including those that never opened their link
    units_not_submitted: int | None = None
    undeliverable: int = 0
    uncertain: int = 0
    # agencies on the register with units below the Art. 11 minimums (the quarterly reminder)
    guidance: Sequence[GuidanceFacts] = ()


@dataclass(frozen=True)
class Reminder:
    """One message to one chat; `key` is its idempotency key in the outbox."""

    chat_id: int
    kind: str
    key: str
    due_at: datetime
    params: dict[str, Any] = field(default_factory=dict, compare=False)
    # reminders of one series (same recipient and deadline) supersede each other
    series: str = field(default="", compare=False)


# --- the quiet period ------------------------------------------------------------


def in_quiet_period(moment: datetime, settings: Settings) -> bool:
    """True when `moment` falls in the quiet period (which may span midnight)."""
    start, end = settings.quiet_start, settings.quiet_end
    clock = moment.astimezone(settings.zone).time().replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def next_allowed(moment: datetime, settings: Settings) -> datetime:
    """`moment`, or the end of the quiet period it falls in (aware, in the settings' zone)."""
    local = moment.astimezone(settings.zone)
    if not in_quiet_period(local, settings):
        return local
    end = datetime.combine(local.date(), settings.quiet_end, tzinfo=settings.zone)
    return end if end > local else end + timedelta(days=1)


def due_time(day: date, settings: Settings) -> datetime:
    """When a reminder for local `day` falls due: the send time, moved out of the quiet period."""
    return next_allowed(
        datetime.combine(day, settings.reminder_send_time, tzinfo=settings.zone), settings
    )


# --- the plan ----------------------------------------------------------------------


def countdown(
    series: str,
    chat_id: int,
    kind: str,
    deadline: date,
    offsets: Sequence[int],
    params: dict[str, Any],
    settings: Settings,
) -> list[Reminder]:
    """One reminder to `chat_id` per offset (days before `deadline`), keyed `<series>:T-<days>`."""
    return [
        Reminder(
            chat_id=chat_id,
            kind=kind,
            key=f"{series}:T-{days}",
            due_at=due_time(deadline - timedelta(days=days), settings),
            params=dict(params),
            series=series,
        )
        for days in offsets
    ]


def plan_agency_reminders(
    campaign: Campaign, agencies: Sequence[AgencyFacts], now: datetime, settings: Settings
) -> list[Reminder]:
    """Every agency reminder still relevant at `now` (due or not yet due)."""
    if not is_open(campaign.report_due, now, settings):
        return []
    reminders = []
    for agency in agencies:
        if not agency.missing:
            continue
        params = {
            "agency": agency.name,
            "year": campaign.year,
            "due": campaign.report_due.isoformat(),
            "missing": list(agency.missing),
        }
        for chat_id in agency.chat_ids:
            reminders += countdown(
                f"agency:{agency.agency_id}:{chat_id}:{campaign.year}",
                chat_id,
                AGENCY_REPORT,
                campaign.report_due,
                settings.agency_reminder_days,
                params,
                settings,
            )
    return reminders


def plan_unit_reminders(
    campaign: Campaign, pending: Sequence[PendingUnit], now: datetime, settings: Settings
) -> list[Reminder]:
    """Every questionnaire reminder still relevant at `now` (due or not yet due)."""
    if not is_open(campaign.questionnaire_closes, now, settings):
        return []
    reminders = []
    for unit in pending:
        params = {
            "unit": unit.unit_name,
            "agency": unit.agency_name,
            "year": campaign.year,
            "due": campaign.questionnaire_closes.isoformat(),
        }
        reminders += countdown(
            f"unit:{unit.invitation_key}:{unit.chat_id}:{campaign.year}",
            unit.chat_id,
            UNIT_QUESTIONNAIRE,
            campaign.questionnaire_closes,
            settings.unit_reminder_days,
            params,
            settings,
        )
    return reminders


def plan_admin_digests(
    campaign: Campaign, facts: Facts, now: datetime, settings: Settings
) -> list[Reminder]:
    """Today's digest for each admin, while the campaign runs (opens … results published).

    Only today's digest is relevant: yesterday's, if never sent, is stale.
    """
    today = local_date(now, settings.zone)
    if not campaign.opens <= today <= campaign.results_published:
        return []
    params = digest_params(campaign, facts, today)
    return [
        Reminder(
            chat_id=admin_id,
            kind=ADMIN_DIGEST,
            key=f"digest:{admin_id}:{today.isoformat()}",
            due_at=due_time(today, settings),
            params=params,
            series=f"digest:{admin_id}",
        )
        for admin_id in settings.admin_ids
    ]


def digest_params(campaign: Campaign, facts: Facts, today: date) -> dict[str, Any]:
    """What the digest says: reports still missing (overdue after the due date), units, delivery."""
    incomplete = [agency.name for agency in facts.agencies if agency.missing]
    return {
        "year": campaign.year,
        "date": today.isoformat(),
        "report_due": campaign.report_due.isoformat(),
        "questionnaire_closes": campaign.questionnaire_closes.isoformat(),
        "report_overdue": today > campaign.report_due,
        "questionnaire_closed": today > campaign.questionnaire_closes,
        "agencies_total": len(facts.agencies),
        "agencies_incomplete": len(incomplete),
        "incomplete_names": incomplete[:DIGEST_NAMES],
        "units_not_submitted": facts.units_not_submitted,
        "undeliverable": facts.undeliverable,
        "uncertain": facts.uncertain,
    }


def guidance_quarter(campaign: Campaign, today: date) -> tuple[Quarter, date] | None:
    """The quarter of the campaign's year that `today` is in, and the day its records are
    due (its last day, or the report deadline in the quarter that holds it); None outside
    the year or after the report deadline."""
    quarter = quarter_of(today)
    ends = min(quarter.last_day, campaign.report_due)
    if quarter.year != campaign.year or today > ends:
        return None
    return quarter, ends


def plan_guidance_reminders(
    campaign: Campaign, agencies: Sequence[GuidanceFacts], now: datetime, settings: Settings
) -> list[Reminder]:
    """This quarter's shortfall reminders still relevant at `now` (none when switched off,
    none for an agency whose units all meet the minimums), keyed by year, quarter, agency
    and chat; a day that would fall before the quarter began is dropped."""
    window = guidance_quarter(campaign, local_date(now, settings.zone))
    if not settings.guidance_reminders or window is None:
        return []
    quarter, ends = window
    reminders = []
    for agency in agencies:
        if not agency.units:
            continue
        params = {
            "agency": agency.name,
            "year": campaign.year,
            "quarter": quarter.number,
            "due": ends.isoformat(),
            "units": [
                {"unit": u.unit_name, "missing": [[code, p] for code, p in u.shortfalls]}
                for u in agency.units
            ],
        }
        for chat_id in agency.chat_ids:
            series = f"guidance:{agency.agency_id}:{chat_id}:{campaign.year}-Q{quarter.number}"
            reminders += [
                r
                for r in countdown(
                    series,
                    chat_id,
                    GUIDANCE_SHORTFALL,
                    ends,
                    settings.guidance_reminder_days,
                    params,
                    settings,
                )
                if r.due_at.date() >= quarter.first_day
            ]
    return reminders


def plan(campaign: Campaign, facts: Facts, now: datetime, settings: Settings) -> list[Reminder]:
    """Every reminder of the campaign still relevant at `now`, due or not, by due time."""
    reminders = (
        plan_agency_reminders(campaign, facts.agencies, now, settings)
        + plan_unit_reminders(campaign, facts.pending_units, now, settings)
        + plan_admin_digests(campaign, facts, now, settings)
        + plan_guidance_reminders(campaign, facts.guidance, now, settings)
    )
    return sorted(reminders, key=lambda r: (r.due_at, r.key))


def due_reminders(
    campaign: Campaign, facts: Facts, now: datetime, settings: Settings
) -> list[Reminder]:
    """The reminders to enqueue at `now`: due, still relevant, and the latest of their series."""
    return latest_of_each_series(
        [r for r in plan(campaign, facts, now, settings) if r.due_at <= now]
    )


def latest_of_each_series(reminders: Sequence[Reminder]) -> list[Reminder]:
    """Keep only the newest reminder of each series (the others were superseded)."""
    latest: dict[str, Reminder] = {}
    for reminder in reminders:
        kept = latest.get(reminder.series)
        if kept is None or reminder.due_at > kept.due_at:
            latest[reminder.series] = reminder
    return sorted(latest.values(), key=lambda r: (r.due_at, r.key))


def days_left(due: date, now: datetime, settings: Settings) -> int:
    """Whole local days from `now` to the deadline day (0 on the day itself)."""
    return (due - local_date(now, settings.zone)).days
