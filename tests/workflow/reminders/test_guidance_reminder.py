"""The quarterly Art. 11 shortfall reminder: which days, which agencies, the text, the
outbox (sent once per quarter) and a tick through the bot's job."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.demo.offline import OFFLINE_TOKEN, RecordingRequest
from bot.telegram.app import BotApplication, build_application
from bot.telegram.jobs import run_cycle
from surveys.coverage import unit_facts
from tests.workflow.lifecycle_steps import agency_in
from workflow.access.actors import Actor
from workflow.community.campaigns import campaign_or_default, default_campaign
from workflow.community.models import Campaign, CreationUnit, Guidance
from workflow.core.db import transaction
from workflow.core.settings import Settings, SettingsError, load_settings
from workflow.guidance.activities import parse_fields, record_activity
from workflow.reminders.cycle import current_plan, enqueue_due
from workflow.reminders.models import AgencyContact, Outbox
from workflow.reminders.plan import (
    GUIDANCE_SHORTFALL,
    Facts,
    GuidanceFacts,
    UnitShortfalls,
    due_reminders,
    plan_guidance_reminders,
)
from workflow.reminders.shortfalls import UNITS_LISTED, guidance_facts, shortfall_text

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHAT, OTHER_CHAT = 501, 502


def at(month: int, day: int, hour: int = 9, minute: int = 5, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def policy() -> Settings:
    return load_settings()


def campaign(policy: Settings) -> Campaign:
    return default_campaign(2026, policy)  # report due 12-15


def short(
    chats: tuple[int, ...] = (CHAT,), units: tuple[str, ...] = ("幸福里社区",)
) -> GuidanceFacts:
    return GuidanceFacts(
        agency_id=7,
        name="甲咨询公司",
        chat_ids=chats,
        units=tuple(UnitShortfalls(name, (("kickoff", {}),)) for name in units),
    )


# --- the pure plan: which days, which agencies ------------------------------------------


@pytest.mark.parametrize(
    ("now", "due", "quarter"),
    [
        (at(1, 5), at(3, 11, 9, 0), 1),  # 20 days before 31 March
        (at(4, 1), at(6, 10, 9, 0), 2),
        (at(9, 30, 20, 0), at(9, 10, 9, 0), 3),  # still relevant until the quarter ends
        (at(10, 1), at(11, 25, 9, 0), 4),  # Q4's records are due with the report, 15 December
    ],
)
def test_one_reminder_per_quarter_twenty_days_before_its_records_are_due(
    policy: Settings, now: datetime, due: datetime, quarter: int
) -> None:
    (reminder,) = plan_guidance_reminders(campaign(policy), [short()], now, policy)
    assert reminder.kind == GUIDANCE_SHORTFALL
    assert reminder.due_at == due
    assert reminder.key == f"guidance:7:{CHAT}:2026-Q{quarter}:T-20"
    assert reminder.params["quarter"] == quarter


def test_nothing_after_the_report_deadline_or_for_another_years_campaign(
    policy: Settings,
) -> None:
    assert plan_guidance_reminders(campaign(policy), [short()], at(12, 16), policy) == []
    next_year = default_campaign(2027, policy)
    assert plan_guidance_reminders(next_year, [short()], at(6, 1), policy) == []


def test_each_contact_of_an_agency_with_a_shortfall_and_no_one_else(policy: Settings) -> None:
    fine = GuidanceFacts(agency_id=8, name="乙公司", chat_ids=(600,), units=())
    reminders = plan_guidance_reminders(
        campaign(policy), [short(chats=(CHAT, OTHER_CHAT)), fine], at(3, 11), policy
    )
    assert sorted(r.chat_id for r in reminders) == [CHAT, OTHER_CHAT]
    assert reminders[0].params["units"] == [{"unit": "幸福里社区", "missing": [["kickoff", {}]]}]


def test_switched_off_nothing_is_planned() -> None:
    off = load_settings(guidance_reminders=False)
    assert plan_guidance_reminders(campaign(off), [short()], at(3, 11), off) == []


def test_several_days_the_latest_due_supersedes_and_none_before_the_quarter() -> None:
    policy = load_settings(guidance_reminder_days=[80, 20, 5])
    reminders = due_reminders(campaign(policy), facts_with(short()), at(3, 27), policy)
    assert [r.key for r in reminders] == [f"guidance:7:{CHAT}:2026-Q1:T-5"]
    # 80 days before 15 December is 26 September, in Q3: not a Q4 reminder
    q4 = plan_guidance_reminders(campaign(policy), [short()], at(10, 1), policy)
    assert sorted(r.key.rsplit(":", 1)[1] for r in q4) == ["T-20", "T-5"]


def facts_with(*agencies: GuidanceFacts) -> Facts:
    return Facts(guidance=agencies)


def test_settings_read_the_days_and_refuse_more_than_a_quarter() -> None:
    assert load_settings(guidance_reminder_days="5,20").guidance_reminder_days == [20, 5]
    with pytest.raises(SettingsError, match="GUIDANCE_REMINDER_DAYS"):
        load_settings(guidance_reminder_days="90")


# --- the text ----------------------------------------------------------------------------


def test_the_text_names_the_quarter_the_days_left_and_each_units_gaps(policy: Settings) -> None:
    facts = GuidanceFacts(
        7,
        "甲咨询公司",
        (CHAT,),
        (
            UnitShortfalls(
                "幸福里社区",
                (("kickoff", {}), ("trainings", {"n": 2, "min": 5, "gap": 3})),
            ),
            UnitShortfalls("和平里街道", (("progress", {"quarters": "2026年第3季度"}),)),
        ),
    )
    (reminder,) = plan_guidance_reminders(campaign(policy), [facts], at(9, 10), policy)
    text = shortfall_text(reminder.params, at(9, 10), policy)
    head, *units, tail = text.split("\n")
    assert head.startswith("【指导工作提醒】甲咨询公司：2026年第3季度")
    assert "2026-09-30" in head and "还有 20 天" in head and "2 个创建单位" in head
    assert units == [
        "· 幸福里社区：未记录启动会；培训 2 次，不少于 5 次，还差 3 次",
        "· 和平里街道：未记录工作推进会的季度：2026年第3季度",
    ]
    assert len(head) + len(tail) <= 120  # TERMS.md: about 120 characters plus the list
    assert "今天截止" in shortfall_text(reminder.params, at(9, 30), policy)


def test_a_long_list_stops_after_a_few_units(policy: Settings) -> None:
    names = tuple(f"第{n}社区" for n in range(UNITS_LISTED + 3))
    (reminder,) = plan_guidance_reminders(campaign(policy), [short(units=names)], at(3, 11), policy)
    text = shortfall_text(reminder.params, at(3, 11), policy)
    assert text.count("· ") == UNITS_LISTED
    assert "另有 3 个创建单位有缺项" in text
    english = load_settings(language="en")
    assert "and 3 more creation unit(s)" in shortfall_text(reminder.params, at(3, 11), english)


# --- the facts and the outbox, on both databases -----------------------------------------


def guided_agency(
    session: Session,
    settings: Settings,
    state: str,
    name: str,
    *,
    chat: int | None,
    disaster_only: bool = False,
    year: int = 2026,
    started_on: date | None = None,
) -> tuple[int, int]:
    """An agency in `state` guiding one unit in `year` (bound to `chat` if given)."""
    agency = agency_in(session, state, settings, name=name)
    assert agency.id is not None
    unit = CreationUnit(
        name=f"{name}的社区",
        district="东城区",
        safe_community=not disaster_only,
        disaster_reduction=disaster_only,
    )
    session.add(unit)
    session.flush()
    assert unit.id is not None
    session.add(
        Guidance(
            unit_id=unit.id,
            agency_id=agency.id,
            year=year,
            safe_community=not disaster_only,
            disaster_reduction=disaster_only,
            started_on=started_on,
        )
    )
    if chat is not None:
        session.add(AgencyContact(agency_id=agency.id, telegram_user_id=chat, display_name="王"))
    session.flush()
    return agency.id, unit.id


def record(
    session: Session,
    settings: Settings,
    agency_id: int,
    unit_id: int,
    kind: str,
    day: str,
    **f: str,
) -> None:
    record_activity(
        session,
        agency_id,
        unit_id,
        2026,
        parse_fields(kind, day, **f),  # type: ignore[arg-type]
        Actor.cli("admin"),
        settings,
        today=date(2026, 9, 9),
    )


def meet_the_minimums(session: Session, settings: Settings, agency_id: int, unit_id: int) -> None:
    """Everything Art. 11 asks of a disaster-reduction unit guided since 1 September."""
    record(session, settings, agency_id, unit_id, "kickoff", "2026-09-01")
    for day in range(2, 7):
        record(
            session, settings, agency_id, unit_id, "training", f"2026-09-0{day}", topic="concept"
        )
    record(session, settings, agency_id, unit_id, "progress_meeting", "2026-09-08")
    for topic in ("overall", "special", "training", "risk_identification"):
        record(session, settings, agency_id, unit_id, "plan", "2026-09-08", topic=topic)


def test_facts_list_only_guiding_agencies_with_contacts_and_gaps(
    any_engine: Engine, settings: Settings
) -> None:
    with transaction(any_engine) as session:
        filed, _ = guided_agency(session, settings, "filed", "甲公司", chat=CHAT)
        guided_agency(session, settings, "filed", "乙公司", chat=OTHER_CHAT)
        guided_agency(session, settings, "applied", "丙公司", chat=503)  # not on the register
        guided_agency(session, settings, "filed", "丁公司", chat=None)  # no one to tell
        guided_agency(session, settings, "filed", "戊公司", chat=504, year=2025)  # not this year
        done, unit = guided_agency(
            session,
            settings,
            "filed",
            "己公司",
            chat=505,
            disaster_only=True,
            started_on=date(2026, 9, 1),
        )
        meet_the_minimums(session, settings, done, unit)
    with Session(any_engine) as session:
        facts = guidance_facts(
            session, campaign_or_default(session, 2026, settings), date(2026, 9, 30), settings
        )
    assert [f.name for f in facts] == ["甲公司", "乙公司"]
    first = facts[0]
    assert first.agency_id == filed and first.chat_ids == (CHAT,)
    (unit_gaps,) = first.units
    codes = [code for code, _ in unit_gaps.shortfalls]
    assert codes == ["kickoff", "trainings", "progress", "plans", "projects"]
    # the quarter now running counts: its progress meeting is still missing
    assert dict(unit_gaps.shortfalls)["progress"]["quarters"].endswith("2026年第3季度")


def test_enqueued_once_per_quarter_and_skipped_once_the_gaps_are_closed(
    any_engine: Engine, settings: Settings
) -> None:
    with transaction(any_engine) as session:
        agency_id, unit_id = guided_agency(
            session,
            settings,
            "filed",
            "甲公司",
            chat=CHAT,
            disaster_only=True,
            started_on=date(2026, 9, 1),
        )
    key = f"guidance:{agency_id}:{CHAT}:2026-Q3:T-20"
    with transaction(any_engine) as session:
        assert enqueue_due(session, at(9, 10), settings, unit_facts) == (1, 0)
    with transaction(any_engine) as session:
        assert enqueue_due(session, at(9, 10, 10, 0), settings, unit_facts) == (0, 0)
        assert key in {r.key for r in current_plan(session, at(9, 10), settings, unit_facts)}
    with transaction(any_engine) as session:
        meet_the_minimums(session, settings, agency_id, unit_id)
    with transaction(any_engine) as session:
        assert enqueue_due(session, at(9, 10, 11, 0), settings, unit_facts) == (0, 1)
    with Session(any_engine) as session:
        rows = session.exec(select(Outbox.key, Outbox.state)).all()
    assert rows == [(key, "skipped")]


# --- a tick through the bot's job --------------------------------------------------------


@pytest.fixture
async def offline(
    any_engine: Engine, settings: Settings
) -> AsyncIterator[tuple[BotApplication, RecordingRequest]]:
    request = RecordingRequest()
    app = build_application(
        settings, any_engine, token=OFFLINE_TOKEN, request=request, rate_limiter=False
    )
    await app.initialize()
    yield app, request
    await app.shutdown()


async def test_a_tick_sends_the_quarters_reminder_once(
    any_engine: Engine, settings: Settings, offline: tuple[BotApplication, RecordingRequest]
) -> None:
    app, request = offline
    with transaction(any_engine) as session:
        guided_agency(session, settings, "filed", "甲咨询公司", chat=CHAT)

    before = await run_cycle(app.bot, any_engine, settings, at(9, 9))
    first = await run_cycle(app.bot, any_engine, settings, at(9, 10))
    second = await run_cycle(app.bot, any_engine, settings, at(9, 10, 9, 10))

    assert (before.enqueued, first.enqueued, first.send.sent) == (0, 1, 1)
    assert (second.enqueued, second.send.sent) == (0, 0)
    (text,) = [str(call.params["text"]) for call in request.sent(CHAT)]
    assert text.startswith("【指导工作提醒】甲咨询公司：2026年第3季度")
    assert "· 甲咨询公司的社区：未记录启动会" in text
