"""The yearly assessment campaign (Art. 15): its dates, defaulting to the policy settings.

Dates are local dates in the settings' time zone (Asia/Shanghai by default, no
daylight saving). A campaign row is created with the default dates the first
time a year is needed; the Association may then set that year's own dates, from
1 January of the campaign year up to 31 March of the next (a year's notice may
move a deadline into the new year). What is handed in or answered belongs to the
campaign it was handed in for: `current_campaign_year` is the one reading of
"the current campaign" for uploads, `/status`, the reminders and `/score`.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time

from sqlmodel import Session, col, select

from workflow.community.models import Campaign
from workflow.core.clock import local_date, utcnow
from workflow.core.errors import InvalidInput
from workflow.core.settings import Settings

DATE_FIELDS = ("opens", "report_due", "questionnaire_closes", "results_published")
FIRST_YEAR = 2000
# a year's notice may move any date up to the end of March of the next year (Art. 15)
LAST_MONTH_DAY_NEXT_YEAR = (3, 31)


def check_year(year: int, now: datetime | None = None) -> int:
    """A year the software keeps records for: from 2000 to next year (nothing is
    assessed, guided or invited further ahead). One rule for every command."""
    last = (now or utcnow()).year + 1
    if not FIRST_YEAR <= year <= last:
        raise InvalidInput("campaign.bad_year", year=year, first=FIRST_YEAR, last=last)
    return year


def parse_year(value: object, now: datetime | None = None) -> int:
    """A year as people type it (`2026`, full-width `２０２６`, a spreadsheet number),
    held to `check_year`: the one reading of a typed year for chat, CLI and imports."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput("campaign.year_not_number", year=text)
    return check_year(int(text), now)


def default_campaign(year: int, settings: Settings) -> Campaign:
    """The campaign for `year` with the policy default dates from the settings."""
    return Campaign(year=year, **{name: default_date(year, name, settings) for name in DATE_FIELDS})


def default_date(year: int, name: str, settings: Settings) -> date:
    """One of the campaign's dates (`DATE_FIELDS`) in `year` by the policy default."""
    month_day = getattr(settings, f"campaign_{name}")
    month, day = (int(part) for part in month_day.split("-"))
    try:
        return date(year, month, day)
    except ValueError:  # e.g. 02-29 in a common year, 04-31
        raise InvalidInput(
            "campaign.bad_default",
            setting=f"SAFECOMM_CAMPAIGN_{name.upper()}",
            value=month_day,
            year=year,
        ) from None


def campaign_or_default(session: Session, year: int, settings: Settings) -> Campaign:
    """The stored campaign for `year`, else one with the default dates, not stored: for
    looks (a chat's `/status`, the reminder plan) that must write nothing."""
    return session.get(Campaign, year) or default_campaign(year, settings)


def campaign_for(session: Session, year: int, settings: Settings) -> Campaign:
    """The stored campaign for `year`, created with the default dates if missing."""
    campaign = session.get(Campaign, year)
    if campaign is None:
        campaign = default_campaign(year, settings)
        check_dates(campaign)
        session.add(campaign)
        session.flush()
    return campaign


def set_campaign_dates(
    session: Session, year: int, settings: Settings, **dates: date | None
) -> Campaign:
    """Set some of a year's dates (others keep theirs); checked before anything is written."""
    unknown = sorted(set(dates) - set(DATE_FIELDS))
    if unknown:
        raise InvalidInput("campaign.unknown_date", name=unknown[0], known=", ".join(DATE_FIELDS))
    current = session.get(Campaign, year) or default_campaign(year, settings)
    wanted = {name: dates.get(name) or getattr(current, name) for name in DATE_FIELDS}
    check_dates(Campaign(year=year, **wanted))
    for name, day in wanted.items():
        setattr(current, name, day)
    session.add(current)
    session.flush()
    return current


def date_range(year: int) -> tuple[date, date]:
    """The first and last day a date of `year`'s campaign may fall on: 1 January of the
    year to 31 March of the next (Art. 15, the year's notice)."""
    return date(year, 1, 1), date(year + 1, *LAST_MONTH_DAY_NEXT_YEAR)


def check_dates(campaign: Campaign) -> None:
    """Opens ≤ report due ≤ questionnaire closes ≤ results published, each from 1 January
    of the campaign year to 31 March of the next."""
    dates = [getattr(campaign, name) for name in DATE_FIELDS]
    first, last = date_range(campaign.year)
    if any(not first <= day <= last for day in dates):
        raise InvalidInput(
            "campaign.wrong_year",
            year=campaign.year,
            first=first.isoformat(),
            last=last.isoformat(),
        )
    if dates != sorted(dates):
        raise InvalidInput("campaign.dates_out_of_order")


def current_campaign_year(session: Session, now: datetime, settings: Settings) -> int:
    """The campaign `now` belongs to: the latest stored campaign whose window (opens …
    results published, local dates) contains today, else the calendar year.

    An upload on 10 January while last year's report is due on 15 January counts for
    last year's campaign; without such a campaign, the year is the calendar year (the
    default dates all lie in it)."""
    today = local_date(now, settings.zone)
    query = (
        select(Campaign.year)
        .where(col(Campaign.opens) <= today, col(Campaign.results_published) >= today)
        .order_by(col(Campaign.year).desc())
    )
    year = session.exec(query).first()
    return year if year is not None else today.year


def closes_at(day: date, settings: Settings) -> datetime:
    """The end of a local deadline day (23:59:59.999999 in the settings' zone), aware."""
    return datetime.combine(day, time.max, tzinfo=settings.zone)


def is_open(day: date, moment: datetime, settings: Settings) -> bool:
    """True while `moment` (aware) is not past the end of the local deadline `day`."""
    return moment <= closes_at(day, settings)
