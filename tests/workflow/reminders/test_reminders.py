"""The reminder plan: who is reminded of what, and when — pure functions over dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from workflow.community.campaigns import default_campaign
from workflow.community.models import Campaign
from workflow.core.settings import Settings, load_settings
from workflow.reminders.plan import (
    ADMIN_DIGEST,
    AGENCY_REPORT,
    UNIT_QUESTIONNAIRE,
    AgencyFacts,
    Facts,
    PendingUnit,
    days_left,
    due_reminders,
    due_time,
    in_quiet_period,
    next_allowed,
    plan,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONTACT = 501
ADMIN = 900


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def policy() -> Settings:
    """The default policy, no admins (so no digests among the agency and unit reminders)."""
    return load_settings()


@pytest.fixture
def with_admin() -> Settings:
    return load_settings(admin_ids=[ADMIN])


def agency(
    missing: tuple[str, ...] = ("report", "evidence"), chats: tuple[int, ...] = (CONTACT,)
) -> AgencyFacts:
    return AgencyFacts(agency_id=7, name="北京安全咨询有限公司", chat_ids=chats, missing=missing)


def unit(chat_id: int = 601) -> PendingUnit:
    return PendingUnit(
        chat_id=chat_id,
        unit_name="建国门社区",
        agency_name="北京安全咨询有限公司",
        invitation_key="42",
    )


def campaign_2026(policy: Settings) -> Campaign:
    return default_campaign(
        2026, policy
    )  # opens 12-01, report 12-15, questionnaire 12-20, results 12-31


def of_kind(reminders: list, kind: str) -> list:
    return [r for r in reminders if r.kind == kind]


# --- agencies --------------------------------------------------------------------------


def test_agency_is_reminded_at_t7_t3_t1_and_on_the_day_at_nine(policy: Settings) -> None:
    reminders = of_kind(
        plan(campaign_2026(policy), Facts(agencies=[agency()]), at(2026, 11, 1), policy),
        AGENCY_REPORT,
    )

    assert [r.due_at for r in reminders] == [
        at(2026, 12, 8),
        at(2026, 12, 12),
        at(2026, 12, 14),
        at(2026, 12, 15),
    ]
    assert [r.key for r in reminders] == [f"agency:7:{CONTACT}:2026:T-{d}" for d in (7, 3, 1, 0)]
    assert {r.chat_id for r in reminders} == {CONTACT}
    assert reminders[0].params["missing"] == ["report", "evidence"]


def test_every_bound_contact_of_the_agency_gets_its_own_reminder(policy: Settings) -> None:
    reminders = due_reminders(
        campaign_2026(policy),
        Facts(agencies=[agency(chats=(501, 502))]),
        at(2026, 12, 8, 9, 5),
        policy,
    )

    assert sorted(r.key for r in reminders) == ["agency:7:501:2026:T-7", "agency:7:502:2026:T-7"]


def test_nothing_is_due_before_the_send_time_of_the_first_offset_day(policy: Settings) -> None:
    facts = Facts(agencies=[agency()])
    assert due_reminders(campaign_2026(policy), facts, at(2026, 12, 8, 8, 59), policy) == []
    assert [
        r.key for r in due_reminders(campaign_2026(policy), facts, at(2026, 12, 8, 9, 0), policy)
    ] == [f"agency:7:{CONTACT}:2026:T-7"]


def test_a_reminder_missed_while_the_bot_was_down_is_superseded_by_the_latest(
    policy: Settings,
) -> None:
    # the bot was down from 7 to 14 December: only the T-1 reminder is still worth sending
    due = due_reminders(
        campaign_2026(policy), Facts(agencies=[agency()]), at(2026, 12, 14, 15), policy
    )

    assert [r.key for r in due] == [f"agency:7:{CONTACT}:2026:T-1"]


def test_no_agency_reminder_once_report_and_evidence_are_in(policy: Settings) -> None:
    facts = Facts(agencies=[agency(missing=())])
    assert of_kind(plan(campaign_2026(policy), facts, at(2026, 12, 1), policy), AGENCY_REPORT) == []


def test_only_the_missing_part_is_named(policy: Settings) -> None:
    due = due_reminders(
        campaign_2026(policy),
        Facts(agencies=[agency(missing=("evidence",))]),
        at(2026, 12, 12, 10),
        policy,
    )
    assert due[0].params["missing"] == ["evidence"]


def test_on_the_deadline_day_until_midnight_then_nothing(policy: Settings) -> None:
    facts = Facts(agencies=[agency()])
    late = due_reminders(campaign_2026(policy), facts, at(2026, 12, 15, 23, 59), policy)
    assert [r.key for r in late] == [f"agency:7:{CONTACT}:2026:T-0"]
    assert due_reminders(campaign_2026(policy), facts, at(2026, 12, 16, 0, 0), policy) == []


def test_offsets_come_from_the_settings(policy: Settings) -> None:
    custom = load_settings(agency_reminder_days="10,2")
    reminders = plan(
        default_campaign(2026, custom), Facts(agencies=[agency()]), at(2026, 11, 1), custom
    )
    assert [r.due_at.date() for r in reminders] == [date(2026, 12, 5), date(2026, 12, 13)]


# --- creation units --------------------------------------------------------------------


def test_units_are_reminded_at_t5_t2_and_on_the_closing_day(policy: Settings) -> None:
    reminders = of_kind(
        plan(campaign_2026(policy), Facts(pending_units=[unit()]), at(2026, 12, 1), policy),
        UNIT_QUESTIONNAIRE,
    )

    assert [r.due_at for r in reminders] == [at(2026, 12, 15), at(2026, 12, 18), at(2026, 12, 20)]
    assert [r.key for r in reminders] == [f"unit:42:601:2026:T-{d}" for d in (5, 2, 0)]
    assert reminders[0].params == {
        "unit": "建国门社区",
        "agency": "北京安全咨询有限公司",
        "year": 2026,
        "due": "2026-12-20",
    }


def test_no_unit_reminder_after_the_questionnaire_closed(policy: Settings) -> None:
    assert (
        due_reminders(
            campaign_2026(policy), Facts(pending_units=[unit()]), at(2026, 12, 21, 9), policy
        )
        == []
    )


# --- admins ------------------------------------------------------------------------------


def test_admins_get_one_digest_a_day_from_opening_to_publication(with_admin: Settings) -> None:
    policy = with_admin
    campaign = campaign_2026(policy)
    facts = Facts(agencies=[agency(), AgencyFacts(8, "乙公司", (), ())], units_not_submitted=3)

    assert due_reminders(campaign, facts, at(2026, 11, 30, 12), policy) == []
    first = due_reminders(campaign, facts, at(2026, 12, 1, 9), policy)
    assert [(r.kind, r.chat_id, r.key) for r in first] == [
        (ADMIN_DIGEST, ADMIN, f"digest:{ADMIN}:2026-12-01")
    ]
    assert first[0].params["agencies_incomplete"] == 1
    assert first[0].params["incomplete_names"] == ["北京安全咨询有限公司"]
    assert first[0].params["report_overdue"] is False
    last = due_reminders(campaign, facts, at(2026, 12, 31, 18), policy)
    assert [r.key for r in last] == [f"digest:{ADMIN}:2026-12-31"]
    assert last[0].params["report_overdue"] is True
    assert last[0].params["questionnaire_closed"] is True
    assert due_reminders(campaign, facts, at(2027, 1, 1, 9), policy) == []


def test_yesterdays_unsent_digest_is_not_due_today(with_admin: Settings) -> None:
    due = due_reminders(campaign_2026(with_admin), Facts(), at(2026, 12, 5, 9, 30), with_admin)
    assert [r.key for r in due] == [f"digest:{ADMIN}:2026-12-05"]


def test_no_digest_without_admins() -> None:
    nobody = load_settings()
    assert due_reminders(default_campaign(2026, nobody), Facts(), at(2026, 12, 5, 10), nobody) == []


# --- quiet period, time zone, year boundary ---------------------------------------------


@pytest.mark.parametrize(
    ("clock", "quiet"),
    [
        (time(20, 59), False),
        (time(21, 0), True),
        (time(23, 59), True),
        (time(0, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),
        (time(12, 0), False),
    ],
)
def test_default_quiet_period_spans_midnight(policy: Settings, clock: time, quiet: bool) -> None:
    assert (
        in_quiet_period(datetime.combine(date(2026, 12, 8), clock, tzinfo=SHANGHAI), policy)
        is quiet
    )


def test_quiet_period_within_one_day_and_none_at_all() -> None:
    lunch = load_settings(quiet_start="12:00", quiet_end="14:00")
    assert in_quiet_period(at(2026, 12, 8, 13), lunch)
    assert not in_quiet_period(at(2026, 12, 8, 14), lunch)
    assert not in_quiet_period(at(2026, 12, 8, 23), lunch)
    never = load_settings(quiet_start="00:00", quiet_end="00:00")
    assert not in_quiet_period(at(2026, 12, 8, 3), never)


def test_a_moment_in_the_quiet_period_moves_to_its_end(policy: Settings) -> None:
    assert next_allowed(at(2026, 12, 8, 22, 30), policy) == at(2026, 12, 9, 8, 0)
    assert next_allowed(at(2026, 12, 9, 3, 0), policy) == at(2026, 12, 9, 8, 0)
    assert next_allowed(at(2026, 12, 9, 10, 0), policy) == at(2026, 12, 9, 10, 0)


def test_a_due_time_inside_the_quiet_period_moves_to_quiet_end() -> None:
    late_risers = load_settings(quiet_start="21:00", quiet_end="10:30")
    assert due_time(date(2026, 12, 8), late_risers) == at(2026, 12, 8, 10, 30)
    reminders = plan(
        default_campaign(2026, late_risers),
        Facts(agencies=[agency()]),
        at(2026, 11, 1),
        late_risers,
    )
    assert {r.due_at.time() for r in reminders} == {time(10, 30)}


def test_shanghai_has_no_daylight_saving_so_every_due_time_is_utc_plus_8(policy: Settings) -> None:
    facts = Facts(agencies=[agency()], pending_units=[unit()])
    reminders = plan(campaign_2026(policy), facts, at(2026, 1, 1), policy)
    assert reminders
    assert {r.due_at.utcoffset() for r in reminders} == {timedelta(hours=8)}
    # the same moment given in UTC plans the same thing
    utc_now = at(2026, 12, 12, 9, 30).astimezone(UTC)
    assert due_reminders(campaign_2026(policy), facts, utc_now, policy) == due_reminders(
        campaign_2026(policy), facts, at(2026, 12, 12, 9, 30), policy
    )
    # 09:00 in Beijing is 01:00 UTC, summer and winter alike
    assert due_time(date(2026, 7, 1), policy).astimezone(UTC).hour == 1
    assert due_time(date(2026, 12, 1), policy).astimezone(UTC).hour == 1


def test_t7_of_a_january_deadline_falls_in_december_of_the_year_before(policy: Settings) -> None:
    january = Campaign(
        year=2027,
        opens=date(2027, 1, 1),
        report_due=date(2027, 1, 3),
        questionnaire_closes=date(2027, 1, 5),
        results_published=date(2027, 1, 10),
    )
    facts = Facts(agencies=[agency()])
    reminders = plan(january, facts, at(2026, 12, 1), policy)
    assert [r.due_at.date() for r in reminders] == [
        date(2026, 12, 27),
        date(2026, 12, 31),
        date(2027, 1, 2),
        date(2027, 1, 3),
    ]
    due = due_reminders(january, facts, at(2026, 12, 27, 9, 1), policy)
    assert [r.key for r in due] == [f"agency:7:{CONTACT}:2027:T-7"]


def test_days_left_counts_local_calendar_days(policy: Settings) -> None:
    assert days_left(date(2026, 12, 15), at(2026, 12, 12, 23, 59), policy) == 3
    # 16:30 UTC on the 14th is already 00:30 on the 15th in Beijing
    assert days_left(date(2026, 12, 15), datetime(2026, 12, 14, 16, 30, tzinfo=UTC), policy) == 0


# --- properties over any moment ---------------------------------------------------------

moments = st.datetimes(min_value=datetime(2026, 11, 1), max_value=datetime(2027, 1, 15)).map(
    lambda naive: naive.replace(tzinfo=SHANGHAI)
)


@hypothesis_settings(max_examples=200, deadline=None)
@given(now=moments)
def test_due_reminders_are_due_relevant_and_one_per_series(now: datetime) -> None:
    policy = load_settings(admin_ids=[ADMIN])
    campaign = default_campaign(2026, policy)
    facts = Facts(agencies=[agency(chats=(501, 502))], pending_units=[unit(), unit(602)])
    planned = {r.key for r in plan(campaign, facts, now, policy)}
    due = due_reminders(campaign, facts, now, policy)

    assert {r.key for r in due} <= planned
    assert all(r.due_at <= now for r in due)
    assert len({r.series for r in due}) == len(due)
    assert not any(in_quiet_period(r.due_at, policy) for r in due)
    assert all(r.due_at.date() <= date(2026, 12, 31) for r in due)
