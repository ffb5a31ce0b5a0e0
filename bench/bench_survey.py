"""Benchmark: how fast the survey bot handles updates, next to a bare PTB echo bot.

N creation units (default 2,000) each complete the questionnaire through
`Application.process_update`: `/start <token>`, five answers, submit — seven
updates per unit, every one written to a SQLite file database. The Bot API is
the in-memory `RecordingRequest` (no network, no rate limiter), so the figures
are the bot's own cost: PTB dispatch plus our handlers and the database. The
same harness then feeds a bare echo bot (a text reply, a callback answer and
an edit) the same number and kinds of updates, for a baseline.

    python bench/bench_survey.py [--units 2000]

Prints updates per second and p50/p99 handling latency for both, and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.demo.offline import OFFLINE_TOKEN, RecordingRequest, UpdateFactory
from bot.telegram.app import BotApplication, build_application
from migrations import upgrade
from surveys.invitations import invitations_of, issue_invitations
from workflow.community.models import CreationUnit, Guidance
from workflow.core.db import make_engine
from workflow.core.settings import load_settings
from workflow.registry.models import Agency

YEAR = time.localtime().tm_year + 1  # a campaign whose questionnaire is open
UPDATES_PER_UNIT = 7


class LastMessage(RecordingRequest):
    """The recording Bot API, remembering the latest message id shown in each chat."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: dict[int, int] = {}

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, body = super().answer(method, params)
        if method == "sendMessage" and params.get("reply_markup"):
            self.shown[int(params["chat_id"])] = body["result"]["message_id"]
        return status, body


def seed(database: Path, units: int) -> list[tuple[int, str]]:
    """A migrated database with one agency that guided `units` units; their invitations (id, token)."""
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    with Session(engine) as session:
        agency = Agency(
            name="北京基准测试安全咨询有限公司",
            address="北京市朝阳区建国路1号",
            licence_place="北京市朝阳区",
            credit_code="91110105MA00000000",
            postcode="100020",
            legal_representative="王法人",
            office_phone="010-65001234",
            principal="李负责",
            principal_mobile="13800000000",
        )
        session.add(agency)
        session.flush()
        assert agency.id is not None
        rows = [
            CreationUnit(name=f"基准社区{n}", district="朝阳区", safe_community=True)
            for n in range(units)
        ]
        session.add_all(rows)
        session.flush()
        session.add_all(
            Guidance(unit_id=u.id, agency_id=agency.id, year=YEAR) for u in rows if u.id
        )
        session.flush()
        issue_invitations(session, YEAR)
        session.commit()
        invitations = [(inv.id or 0, inv.token) for inv, _, _ in invitations_of(session, YEAR)]
    engine.dispose()
    return invitations


Step = Callable[[UpdateFactory, LastMessage, int, int], Update]


def survey_steps(token: str) -> list[Step]:
    """What one unit does: open its link, answer five questions, submit."""

    def start(f: UpdateFactory, _r: LastMessage, user: int, _i: int) -> Update:
        return f.text(user, f"/start {token}")

    def tap(f: UpdateFactory, r: LastMessage, user: int, invitation: int, data: str) -> Update:
        return f.callback(user, data.format(invitation=invitation), r.shown[user])

    steps: list[Step] = [start]
    for number, points in zip(range(1, 6), (4, 3, 2, 3, 4), strict=True):
        data = f"sv:{{invitation}}:a:{number}:{points}"
        steps.append(lambda f, r, u, i, data=data: tap(f, r, u, i, data))
    steps.append(lambda f, r, u, i: tap(f, r, u, i, "sv:{invitation}:s"))
    return steps


async def measure(
    app: BotApplication,
    request: LastMessage,
    invitations: list[tuple[int, str]],
    check: Callable[[], Awaitable[None]],
) -> list[float]:
    """Feed every unit's updates to `app`; the handling time of each update in seconds."""
    factory = UpdateFactory(app)
    latencies: list[float] = []
    await app.initialize()
    try:
        for invitation, token in invitations:
            user = 100000 + invitation
            for step in survey_steps(token):
                update = step(factory, request, user, invitation)
                started = time.perf_counter()
                await app.process_update(update)
                latencies.append(time.perf_counter() - started)
        await check()
    finally:
        await app.shutdown()
    return latencies


async def survey_bot(database: Path, invitations: list[tuple[int, str]]) -> list[float]:
    settings = load_settings(database_url=f"sqlite:///{database}")
    engine = make_engine(settings.database_url)
    request = LastMessage()
    app = build_application(
        settings, engine, token=OFFLINE_TOKEN, request=request, rate_limiter=False
    )
    failures: list[object] = []

    async def record(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        failures.append(context.error)

    app.add_error_handler(record)

    async def check() -> None:
        receipts = sum(1 for call in request.calls if "回执码" in str(call.params.get("text", "")))
        if failures or receipts != len(invitations):
            raise SystemExit(f"survey bot misbehaved: {len(failures)} errors, {receipts} receipts")

    try:
        return await measure(app, request, invitations, check)
    finally:
        engine.dispose()


async def echo_bot(invitations: list[tuple[int, str]]) -> list[float]:
    request = LastMessage()
    builder = (
        ApplicationBuilder().token(OFFLINE_TOKEN).request(request).get_updates_request(request)
    )
    app = builder.updater(None).build()

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text
        button = InlineKeyboardButton("x", callback_data="x")
        await update.effective_message.reply_text(
            update.effective_message.text, reply_markup=InlineKeyboardMarkup([[button]])
        )

    async def press(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(query.data or "")

    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(press))

    async def check() -> None:
        return None

    return await measure(app, request, invitations, check)


def summary(name: str, latencies: list[float]) -> tuple[float, float, float]:
    rate = len(latencies) / sum(latencies)
    cuts = statistics.quantiles(latencies, n=100)
    p50, p99 = cuts[49] * 1000, cuts[98] * 1000
    print(f"{name:<12} {len(latencies):>8} {rate:>12.0f} {p50:>10.2f} {p99:>10.2f}")
    return rate, p50, p99


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--units", type=int, default=2000, help="creation units completing the survey"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.db"
        invitations = seed(database, args.units)
        survey = asyncio.run(survey_bot(database, invitations))
        echo = asyncio.run(echo_bot(invitations))
    print(f"{args.units} units × {UPDATES_PER_UNIT} updates, SQLite file database, no network")
    print(f"{'bot':<12} {'updates':>8} {'updates/s':>12} {'p50 ms':>10} {'p99 ms':>10}")
    survey_rate, survey_p50, survey_p99 = summary("survey", survey)
    echo_rate, echo_p50, echo_p99 = summary("echo", echo)
    print(
        f"ratio echo/survey: throughput {echo_rate / survey_rate:.1f}×, "
        f"p50 {survey_p50 / echo_p50:.1f}×, p99 {survey_p99 / echo_p99:.1f}× slower"
    )


if __name__ == "__main__":
    main()
