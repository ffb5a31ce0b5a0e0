"""The sender: each outbox row reaches Telegram at most once, whatever Telegram answers."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from telegram.error import TimedOut

from bot.demo.offline import OFFLINE_TOKEN, RecordingRequest, error
from bot.telegram.app import BotApplication, build_application
from bot.telegram.sender import BATCH, ChatPacer, SendPacer, render, send_due
from workflow.community.campaigns import default_campaign
from workflow.core.db import transaction
from workflow.core.settings import Settings
from workflow.reminders import outbox
from workflow.reminders.models import Outbox
from workflow.reminders.plan import (
    ADMIN_DIGEST,
    AGENCY_REPORT,
    UNIT_QUESTIONNAIRE,
    AgencyFacts,
    Facts,
    Reminder,
    digest_params,
)

# PTB 22 warns about RetryAfter.retry_after's future type whenever it builds one
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 12, 9, 5, tzinfo=SHANGHAI)
ALICE, BOB = 501, 502


class Crash(Exception):
    """The process dies here."""


def agency_reminder(key: str, chat_id: int = ALICE) -> Reminder:
    return Reminder(
        chat_id=chat_id,
        kind=AGENCY_REPORT,
        key=key,
        due_at=NOW - timedelta(minutes=5),
        params={"agency": "甲公司", "year": 2026, "due": "2026-12-15", "missing": ["report"]},
    )


def enqueue(engine: Engine, *reminders: Reminder) -> None:
    with transaction(engine) as session:
        outbox.enqueue(session, list(reminders), NOW)


def rows(engine: Engine) -> dict[str, Outbox]:
    with Session(engine) as session:
        return {row.key: row for row in session.exec(select(Outbox))}


def sends(request: RecordingRequest, chat_id: int | None = None) -> int:
    return len([call for call in request.sent(chat_id) if call.method == "sendMessage"])


class Waits:
    """A sleep that only records how long it was asked to wait."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)

    def retries(self) -> list[float]:
        """The waits before a retry; per-chat pacing waits are always a little under 1 s."""
        return [s for s in self.seconds if s >= 1.0]


Builder = Callable[..., Any]


@pytest.fixture
async def offline(any_engine: Engine, settings: Settings) -> AsyncIterator[Builder]:
    """Build an initialised bot over a RecordingRequest (optionally with a responder)."""
    apps: list[BotApplication] = []

    async def build(
        responder: Any = None, rate_limiter: bool = False, request: RecordingRequest | None = None
    ) -> tuple[BotApplication, RecordingRequest]:
        request = request or RecordingRequest(responder=responder)
        app = build_application(
            settings, any_engine, token=OFFLINE_TOKEN, request=request, rate_limiter=rate_limiter
        )
        await app.initialize()
        apps.append(app)
        return app, request

    yield build
    for app in apps:
        await app.shutdown()


async def test_due_rows_are_sent_once_and_marked(
    offline: Builder, any_engine: Engine, settings: Settings
) -> None:
    app, request = await offline()
    enqueue(any_engine, agency_reminder("a", ALICE), agency_reminder("b", BOB))

    report = await send_due(app.bot, any_engine, NOW, settings)
    again = await send_due(app.bot, any_engine, NOW + timedelta(minutes=5), settings)

    assert (report.sent, again.sent) == (2, 0)
    assert sends(request, ALICE) == 1 and sends(request, BOB) == 1
    assert "甲公司" in request.last_text(ALICE)
    assert {key: (row.state, row.attempts) for key, row in rows(any_engine).items()} == {
        "a": ("sent", 1),
        "b": ("sent", 1),
    }


async def test_a_crash_between_send_and_mark_never_sends_it_twice(
    offline: Builder, any_engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, request = await offline()
    enqueue(any_engine, agency_reminder("a"))

    def crash(*_: object) -> None:
        raise Crash

    with monkeypatch.context() as patched:
        patched.setattr(outbox, "mark_sent", crash)
        with pytest.raises(Crash):
            await send_due(app.bot, any_engine, NOW, settings)
    assert sends(request) == 1  # Telegram has it; the outbox does not know

    # restarted: right away, and again after the claim lease ran out
    soon = await send_due(app.bot, any_engine, NOW + timedelta(minutes=1), settings)
    later = await send_due(app.bot, any_engine, NOW + outbox.CLAIM_LEASE * 2, settings)

    assert (soon.sent, later.sent) == (0, 0)
    assert sends(request) == 1
    assert rows(any_engine)["a"].state == "uncertain"


async def test_a_crash_before_the_claim_loses_nothing(
    offline: Builder, any_engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, request = await offline()
    enqueue(any_engine, agency_reminder("a"))

    def crash(*_: object, **__: object) -> bool:
        raise Crash

    with monkeypatch.context() as patched:
        patched.setattr(outbox, "claim", crash)
        with pytest.raises(Crash):
            await send_due(app.bot, any_engine, NOW, settings)
    assert sends(request) == 0

    report = await send_due(app.bot, any_engine, NOW + timedelta(minutes=1), settings)
    assert report.sent == 1 and sends(request) == 1
    assert rows(any_engine)["a"].state == "sent"


def refuse_first(count: int, answer: tuple[int, dict[str, Any]]) -> Callable[..., Any]:
    """A responder that gives `answer` to the first `count` sendMessage calls."""
    seen = {"n": 0}

    def responder(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if method != "sendMessage":
            return None
        seen["n"] += 1
        return answer if seen["n"] <= count else None

    return responder


async def test_retry_after_waits_as_told_and_sends_once(
    offline: Builder, any_engine: Engine, settings: Settings
) -> None:
    app, request = await offline(
        refuse_first(2, error(429, "Too Many Requests: retry after 1", retry_after=1))
    )
    enqueue(any_engine, agency_reminder("a"))
    waits = Waits()

    report = await send_due(app.bot, any_engine, NOW, settings, sleep=waits)

    assert (report.sent, report.retried) == (1, 2)
    assert waits.retries() == [1.0, 1.0]
    assert len(request.calls) - 1 == 3  # getMe, then three sendMessage
    row = rows(any_engine)["a"]
    assert (row.state, row.attempts) == ("sent", 3)
    assert "Retry in 1" in row.last_error


async def test_retry_after_behind_the_rate_limiter_of_the_running_bot(
    offline: Builder, any_engine: Engine, settings: Settings
) -> None:
    """AIORateLimiter (as `build_application` sets it up) waits and retries a 429 itself."""
    app, request = await offline(
        refuse_first(1, error(429, "Too Many Requests: retry after 1", retry_after=1)),
        rate_limiter=True,
    )
    enqueue(any_engine, agency_reminder("a"))

    report = await send_due(app.bot, any_engine, NOW, settings)

    assert report.sent == 1
    assert [c.method for c in request.calls].count("sendMessage") == 2
    assert sends(request, ALICE) == 2  # one refused, one delivered
    assert rows(any_engine)["a"].state == "sent"


async def test_a_user_who_blocked_the_bot_is_undeliverable_and_never_retried(
    offline: Builder, any_engine: Engine, settings: Settings
) -> None:
    def blocked_bob(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if method == "sendMessage" and int(params["chat_id"]) == BOB:
            return error(403, "Forbidden: bot was blocked by the user")
        return None

    app, request = await offline(blocked_bob)
    enqueue(any_engine, agency_reminder("a", ALICE), agency_reminder("b", BOB))

    report = await send_due(app.bot, any_engine, NOW, settings)
    await send_due(app.bot, any_engine, NOW + timedelta(hours=1), settings)

    assert (report.sent, report.undeliverable) == (1, 1)
    assert sends(request, BOB) == 1
    assert rows(any_engine)["b"].state == "undeliverable"
    with Session(any_engine) as session:
        assert [chat for chat, _, _ in outbox.undeliverable_chats(session)] == [BOB]


async def test_no_answer_leaves_the_reminder_uncertain_rather_than_risk_a_second_copy(
    offline: Builder, any_engine: Engine, settings: Settings
) -> None:
    class Silent(RecordingRequest):
        async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> Any:
            if url.endswith("/sendMessage"):
                raise TimedOut("Timed out")
            return await super().do_request(url, method, *args, **kwargs)

    app, _ = await offline(request=Silent())
    enqueue(any_engine, agency_reminder("a"))

    first = await send_due(app.bot, any_engine, NOW, settings)
    second = await send_due(app.bot, any_engine, NOW + timedelta(hours=1), settings)

    assert (first.uncertain, second.sent, second.uncertain) == (1, 0, 0)
    assert rows(any_engine)["a"].state == "uncertain"


async def test_server_errors_are_retried_with_backoff_then_given_up(
    offline: Builder, any_engine: Engine, settings: Settings
) -> None:
    app, request = await offline(refuse_first(99, error(502, "Bad Gateway")))
    enqueue(any_engine, agency_reminder("a"))
    waits = Waits()

    report = await send_due(app.bot, any_engine, NOW, settings, sleep=waits)

    assert report.failed == 1
    assert waits.retries() == [2.0, 4.0, 8.0, 16.0]
    row = rows(any_engine)["a"]
    assert (row.state, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert sends(request) == outbox.MAX_ATTEMPTS


async def test_a_server_error_then_success_sends_once(
    offline: Builder, any_engine: Engine, settings: Settings
) -> None:
    app, _ = await offline(refuse_first(1, error(500, "Internal Server Error")))
    enqueue(any_engine, agency_reminder("a"))

    report = await send_due(app.bot, any_engine, NOW, settings, sleep=Waits())

    assert (report.sent, report.retried) == (1, 1)
    assert rows(any_engine)["a"].state == "sent"


async def test_a_permanent_refusal_is_not_retried(
    offline: Builder, any_engine: Engine, settings: Settings
) -> None:
    app, request = await offline(refuse_first(99, error(400, "Bad Request: chat not found")))
    enqueue(any_engine, agency_reminder("a"))

    report = await send_due(app.bot, any_engine, NOW, settings, sleep=Waits())

    assert report.failed == 1 and sends(request) == 1
    assert rows(any_engine)["a"].last_error == "BadRequest: Chat not found"


async def test_nothing_is_sent_in_the_quiet_period_and_everything_after_it(
    offline: Builder, any_engine: Engine, settings: Settings
) -> None:
    app, request = await offline()
    enqueue(any_engine, agency_reminder("a"))

    night = await send_due(
        app.bot, any_engine, datetime(2026, 12, 12, 22, 0, tzinfo=SHANGHAI), settings
    )
    morning = await send_due(
        app.bot, any_engine, datetime(2026, 12, 13, 8, 0, tzinfo=SHANGHAI), settings
    )

    assert (night.quiet, night.sent) == (True, 0)
    assert (morning.quiet, morning.sent) == (False, 1)
    assert sends(request) == 1


async def test_messages_to_one_chat_are_a_second_apart(
    offline: Builder, any_engine: Engine, settings: Settings
) -> None:
    app, request = await offline()
    enqueue(any_engine, agency_reminder("a", ALICE), agency_reminder("b", ALICE))
    waits = Waits()

    await send_due(app.bot, any_engine, NOW, settings, sleep=waits)

    assert sends(request, ALICE) == 2
    assert len(waits.seconds) == 1 and 0.5 < waits.seconds[0] < 1.0


async def test_the_pacer_holds_back_only_the_same_chat() -> None:
    waits = Waits()
    pacer = ChatPacer(interval=1.0, sleep=waits)
    async with pacer.slot(ALICE):
        pass
    async with pacer.slot(BOB):
        pass
    assert waits.seconds == []
    async with pacer.slot(ALICE):
        pass
    assert len(waits.seconds) == 1 and waits.seconds[0] > 0.5


async def test_the_send_pacer_spaces_every_send_evenly() -> None:
    """25 a second, one every 40 ms, however many workers ask at once: no 1-second
    window can hold more than 26 starts, below Telegram's 30."""
    waits = Waits()
    pacer = SendPacer(rate=25, sleep=waits)
    await asyncio.gather(*(pacer.slot() for _ in range(50)))
    assert len(waits.seconds) == 49  # the first goes at once
    gaps = [b - a for a, b in itertools.pairwise(waits.seconds)]
    assert all(abs(gap - 0.04) < 0.01 for gap in gaps)


async def test_a_sender_that_stops_leading_hands_its_rows_back(
    offline: Builder, any_engine: Engine, settings: Settings
) -> None:
    """The leader is asked before every batch: after the first, it no longer leads."""
    app, request = await offline()
    enqueue(any_engine, *(agency_reminder(f"r{n}", 9000 + n) for n in range(BATCH + 5)))
    answers = iter([True, False])

    async def leading() -> bool:
        return next(answers)

    report = await send_due(app.bot, any_engine, NOW, settings, leading=leading)

    assert report.sent == BATCH and sends(request) == BATCH
    states = [row.state for row in rows(any_engine).values()]
    assert states.count("sent") == BATCH and states.count("pending") == 5


# --- what the messages say -----------------------------------------------------------------


def test_agency_reminder_text_names_the_gap_and_the_days_left(settings: Settings) -> None:
    text = render(
        AGENCY_REPORT,
        {"agency": "甲公司", "year": 2026, "due": "2026-12-15", "missing": ["report", "evidence"]},
        NOW,
        settings,
    )
    assert "甲公司" in text and "2026-12-15" in text
    assert "年度工作报告、佐证材料" in text
    assert "还有 3 天" in text
    on_the_day = render(
        AGENCY_REPORT,
        {"agency": "甲公司", "year": 2026, "due": "2026-12-15", "missing": ["report"]},
        datetime(2026, 12, 15, 9, tzinfo=SHANGHAI),
        settings,
    )
    assert "今天截止" in on_the_day


def test_unit_reminder_text(settings: Settings) -> None:
    text = render(
        UNIT_QUESTIONNAIRE,
        {"unit": "建国门社区", "agency": "甲公司", "year": 2026, "due": "2026-12-20"},
        NOW,
        settings,
    )
    assert "建国门社区" in text and "甲公司" in text and "还有 8 天" in text


def test_digest_lists_overdue_agencies_units_and_delivery_problems(settings: Settings) -> None:
    facts = Facts(
        agencies=[AgencyFacts(1, "甲公司", (), ("report",)), AgencyFacts(2, "乙公司", (), ())],
        units_not_submitted=4,
        undeliverable=1,
        uncertain=2,
    )
    params = digest_params(default_campaign(2026, settings), facts, date(2026, 12, 16))
    text = render(ADMIN_DIGEST, params, NOW, settings)
    assert "2026-12-16" in text
    assert "1/2" in text
    assert "逾期未交齐：甲公司" in text
    assert "尚未提交问卷的创建单位：4 个" in text
    assert "1 个" in text and "2 条" in text
