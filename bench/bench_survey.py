"""Benchmark: how fast the survey bot handles updates, next to two baselines.

N creation units (default 2,000) each complete the questionnaire: `/start
<token>`, five answers, submit, seven updates per unit, `--users` of them
(default 8, the bot's `bot_concurrency`) at a time, each unit's updates in
order, through `Application.process_update`. The Bot API is the in-memory
`RecordingRequest` (no network, no rate limiter), so the figures are the bot's
own cost: PTB dispatch, our handlers and the database. The same harness then
feeds the same number and kinds of updates to

- **echo**: a bare PTB bot (a text reply, a callback answer and an edit, each
  carrying a keyboard the size of a question's, as the survey's screens do);
- **floor**: the echo bot doing one durable write per update (an INSERT and
  its commit, in a worker thread through the same seam as the bot's work):
  the least any bot that records every tap can do.

    python bench/bench_survey.py [--units 2000] [--users 8]
    python bench/bench_survey.py --postgres          # a throwaway PostgreSQL cluster
    python bench/bench_survey.py --database-url postgresql://…/empty_db

Prints updates/s, p50/p99 handling latency and SQL statements per update
(counted by an engine listener, COMMIT included) for each, then the survey's
statements per kind of tap and its throughput as a ratio of the floor's
(target ≥ 0.7×).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.blocking import new_executor, run_unit
from bot.demo.offline import OFFLINE_TOKEN, RecordingRequest, UpdateFactory
from bot.telegram.app import BotApplication, build_application
from migrations import upgrade
from surveys.invitations import invitations_of, issue_invitations
from workflow.community.models import CreationUnit, Guidance
from workflow.core.db import bot_engine
from workflow.core.settings import Settings, load_settings
from workflow.registry.identifiers import make_credit_code
from workflow.registry.models import Agency

YEAR = time.localtime().tm_year + 1  # a campaign whose questionnaire is open
UPDATES_PER_UNIT = 7
STEP_KINDS = ("start", "answer", "answer", "answer", "answer", "answer", "submit")


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


class Statements:
    """Counts what the engine sends the database (statements and commits), in any thread."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._one)
        event.listen(engine, "commit", self._one)

    def _one(self, *_: Any) -> None:
        self.count += 1


def seed(engine: Engine, units: int) -> list[tuple[int, str]]:
    """A migrated database with one agency that guided `units` units; their invitations (id, token)."""
    upgrade(engine)
    with Session(engine) as session:
        agency = Agency(
            name="北京基准测试安全咨询有限公司",
            address="北京市朝阳区建国路1号",
            licence_place="北京市朝阳区",
            credit_code=make_credit_code("91110105", "MA000000"),
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
        return [(inv.id or 0, inv.token) for inv, _, _ in invitations_of(session, YEAR)]


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
    users: int,
) -> tuple[list[float], float]:
    """Feed every unit's updates to `app`, `users` units at a time: each update's handling
    time (s) and the wall time of the whole run."""
    factory = UpdateFactory(app)
    latencies: list[float] = []
    queue = list(reversed(invitations))

    async def one_user() -> None:
        while queue:
            invitation, token = queue.pop()
            user = 100000 + invitation
            for step in survey_steps(token):
                update = step(factory, request, user, invitation)
                started = time.perf_counter()
                await app.process_update(update)
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one_user() for _ in range(users)))
    return latencies, time.perf_counter() - started


async def survey_bot(
    settings: Settings, engine: Engine, invitations: list[tuple[int, str]], users: int
) -> tuple[list[float], float, list[int]]:
    """The real bot; also the statements of each step of one more unit, counted alone."""
    request = LastMessage()
    app = build_application(
        settings, engine, token=OFFLINE_TOKEN, request=request, rate_limiter=False
    )
    failures: list[object] = []

    async def record(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        failures.append(context.error)

    app.add_error_handler(record)
    counter = Statements(engine)
    await app.initialize()
    try:
        calibration, *rest = invitations
        per_step = []
        factory = UpdateFactory(app)
        for step in survey_steps(calibration[1]):
            before = counter.count
            await app.process_update(step(factory, request, 1, calibration[0]))
            per_step.append(counter.count - before)
        counter.count = 0
        latencies, wall = await measure(app, request, rest, users)
    finally:
        await app.shutdown()
    receipts = sum(1 for call in request.calls if "回执码" in str(call.params.get("text", "")))
    if failures or receipts != len(invitations):
        raise SystemExit(f"survey bot misbehaved: {failures[:3]}, {receipts} receipts")
    per_step.append(counter.count)  # the total of the measured run, last
    return latencies, wall, per_step


# what a survey screen carries: a button per answer (4 … 0) and "back", one per row
SCREEN_BUTTONS = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton(f"{points} 分 · 很满意", callback_data=f"sv:1:a:1:{points}")]
        for points in range(5)
    ]
    + [[InlineKeyboardButton("← 上一题", callback_data="sv:1:b:1")]]
)


def echo_app(request: LastMessage, write: Callable[[], Awaitable[None]] | None) -> BotApplication:
    """A bare bot answering like the survey does; `write` runs once per update if given."""
    builder = ApplicationBuilder().token(OFFLINE_TOKEN).request(request)
    app = builder.get_updates_request(request).updater(None).build()

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text
        if write is not None:
            await write()
        await update.effective_message.reply_text(
            update.effective_message.text, reply_markup=SCREEN_BUTTONS
        )

    async def press(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        if write is not None:
            await write()
        await query.answer()
        await query.edit_message_text(query.data or "", reply_markup=SCREEN_BUTTONS)

    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(press))
    return app


async def echo_bot(
    invitations: list[tuple[int, str]], users: int, engine: Engine | None = None, workers: int = 8
) -> tuple[list[float], float, int]:
    """The echo bot; with `engine`, the floor: one INSERT and commit per update."""
    request = LastMessage()
    write = None
    executor = new_executor(workers)
    counter = Statements(engine) if engine is not None else None
    if engine is not None:
        floor_engine = engine
        table = sa.Table(
            "bench_floor",
            sa.MetaData(),
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("at", sa.Float),
        )
        table.create(engine, checkfirst=True)
        if counter is not None:
            counter.count = 0

        async def write() -> None:
            await run_unit(
                floor_engine,
                lambda session: session.connection().execute(table.insert().values(at=time.time())),
                executor=executor,
            )

    app = echo_app(request, write)
    await app.initialize()
    try:
        latencies, wall = await measure(app, request, invitations[1:], users)
    finally:
        await app.shutdown()
        executor.shutdown()
    return latencies, wall, counter.count if counter else 0


def summary(name: str, latencies: list[float], wall: float, statements: int) -> float:
    rate = len(latencies) / wall
    cuts = statistics.quantiles(latencies, n=100)
    per_update = statements / len(latencies)
    print(
        f"{name:<8} {len(latencies):>8} {rate:>10.0f} {cuts[49] * 1000:>9.2f}"
        f" {cuts[98] * 1000:>9.2f} {per_update:>12.2f}"
    )
    return rate


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    """The URL to run on: a temporary SQLite file, a throwaway cluster, or the one given."""
    if args.database_url:
        yield args.database_url
        return
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout
        from tests.pg import start_server

        server = start_server()
        try:
            server.execute("CREATE DATABASE bench")
            yield server.url("bench")
        finally:
            server.stop()
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--units", type=int, default=2000, help="units completing the survey")
    parser.add_argument("--users", type=int, default=8, help="units answering at the same time")
    parser.add_argument("--database-url", help="an empty database to run on")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    args = parser.parse_args()
    with database(args) as url:
        settings = load_settings(database_url=url, bot_concurrency=args.users)
        engine = bot_engine(settings)
        invitations = seed(engine, args.units + 1)
        survey, survey_wall, per_step = asyncio.run(
            survey_bot(settings, engine, invitations, args.users)
        )
        echo, echo_wall, _ = asyncio.run(echo_bot(invitations, args.users))
        floor, floor_wall, floor_statements = asyncio.run(
            echo_bot(invitations, args.users, engine, args.users)
        )
        backend = engine.dialect.name
        engine.dispose()
    print(
        f"{args.units} units × {UPDATES_PER_UNIT} updates, {args.users} units at a time,"
        f" {backend}, no network"
    )
    print(
        f"{'bot':<8} {'updates':>8} {'updates/s':>10} {'p50 ms':>9} {'p99 ms':>9}"
        f" {'SQL/update':>12}"
    )
    survey_rate = summary("survey", survey, survey_wall, per_step[-1])
    summary("echo", echo, echo_wall, 0)
    floor_rate = summary("floor", floor, floor_wall, floor_statements)
    steps = ", ".join(f"{kind} {count}" for kind, count in zip(STEP_KINDS, per_step, strict=False))
    print(f"survey SQL per step (statements + COMMIT): {steps}")
    print(f"survey / floor throughput: {survey_rate / floor_rate:.2f}× (target ≥ 0.70×)")


if __name__ == "__main__":
    main()
