"""The yearly campaign: policy default dates, the year's own dates, Asia/Shanghai deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from workflow.community.campaigns import campaign_for, closes_at, is_open, set_campaign_dates
from workflow.community.models import Campaign
from workflow.core.errors import InvalidInput
from workflow.core.settings import Settings, load_settings


def test_defaults_come_from_the_policy_settings(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine) as session:
        campaign = campaign_for(session, 2026, settings)
        session.commit()
        assert (
            campaign.opens,
            campaign.report_due,
            campaign.questionnaire_closes,
            campaign.results_published,
        ) == (
            date(2026, 12, 1),
            date(2026, 12, 15),
            date(2026, 12, 20),
            date(2026, 12, 31),
        )
    other = load_settings(campaign_report_due="12-10")
    with Session(any_engine) as session:
        assert campaign_for(session, 2027, other).report_due == date(2027, 12, 10)
        assert campaign_for(session, 2026, other).report_due == date(2026, 12, 15)  # stored


def test_a_year_gets_its_own_dates(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine) as session:
        set_campaign_dates(session, 2026, settings, report_due=date(2026, 12, 18))
        session.commit()
        stored = session.get(Campaign, 2026)
        assert stored is not None
        assert (stored.opens, stored.report_due) == (date(2026, 12, 1), date(2026, 12, 18))


@pytest.mark.parametrize(
    ("dates", "key"),
    [
        ({"report_due": date(2026, 12, 25)}, "campaign.dates_out_of_order"),
        ({"results_published": date(2027, 4, 1)}, "campaign.wrong_year"),
        ({"opens": date(2025, 12, 31)}, "campaign.wrong_year"),
        ({"deadline": date(2026, 12, 5)}, "campaign.unknown_date"),
    ],
)
def test_bad_dates_are_refused_and_nothing_changes(
    session: Session, settings: Settings, dates: dict[str, date], key: str
) -> None:
    campaign_for(session, 2026, settings)
    session.commit()
    with pytest.raises(InvalidInput) as caught:
        set_campaign_dates(session, 2026, settings, **dates)
    assert caught.value.key == key
    session.rollback()
    stored = session.get(Campaign, 2026)
    assert stored is not None and stored.report_due == date(2026, 12, 15)


def test_deadlines_end_at_midnight_in_shanghai(settings: Settings) -> None:
    due = date(2026, 12, 15)
    assert closes_at(due, settings).utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]
    # 23:59 in Beijing is 15:59 UTC: still open; 16:00 UTC is the next day in Beijing
    assert is_open(due, datetime(2026, 12, 15, 15, 59, 59, tzinfo=UTC), settings)
    assert not is_open(due, datetime(2026, 12, 15, 16, 0, 0, tzinfo=UTC), settings)


def test_a_default_date_missing_from_the_year_is_a_clear_refusal(session: Session) -> None:
    leap_day = load_settings(campaign_opens="02-29")
    assert campaign_for(session, 2028, leap_day).opens == date(2028, 2, 29)
    with pytest.raises(InvalidInput) as caught:
        campaign_for(session, 2026, leap_day)
    assert caught.value.key == "campaign.bad_default"
    assert "SAFECOMM_CAMPAIGN_OPENS=02-29" in caught.value.message("zh")


def test_one_year_rule_for_every_command() -> None:
    """From 2000 to next year: the same bound for guidance, sheets and the lifecycle."""
    from datetime import UTC, datetime

    from workflow.community.campaigns import check_year
    from workflow.core.errors import InvalidInput

    now = datetime(2026, 11, 26, tzinfo=UTC)
    assert check_year(2000, now) == 2000 and check_year(2027, now) == 2027
    for wrong in (1999, 2028):
        with pytest.raises(InvalidInput, match=f"年度 {wrong} 无效，应在 2000 至 2027年之间"):
            check_year(wrong, now)
