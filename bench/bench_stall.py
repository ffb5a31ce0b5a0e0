"""Benchmark: does the event loop stall while the bot is busy with a slow database?

50 creation units tap through the questionnaire (`/start`, five answers,
submit; all 50 at once, each unit's taps in order) while the reminder job
sends a burst of 500 due reminders through the real sender and
`AIORateLimiter`, on one application built by `build_application`, with every
SQL statement made 10 ms slower (an engine listener sleeps before each one,
as a loaded database server would). A heartbeat coroutine wakes every 5 ms
and records how late it woke: that lateness is the loop's stall, the time in
which the bot could answer nobody.

    python bench/bench_stall.py                  # SQLite file
    python bench/bench_stall.py --postgres       # a throwaway PostgreSQL cluster

Printed for the run with the delay: the loop's stall p50/p99/max (targets: p99
< 20 ms, max < 50 ms) and the survey's tap latency p50/p99, and beside it the
same run without the injected delay, for the survey latency it costs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from telegram.ext import ContextTypes

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_survey import LastMessage, database, measure, seed

from bot.demo.offline import OFFLINE_TOKEN
from bot.telegram.app import build_application
from bot.telegram.sender import send_due
from workflow.core.clock import utcnow
from workflow.core.db import bot_engine, transaction
from workflow.core.settings import load_settings
from workflow.reminders import outbox
from workflow.reminders.plan import AGENCY_REPORT, Reminder

USERS = 50
REMINDERS = 500
HEARTBEAT = 0.005
FIRST_CHAT = 20_000_000


def slow_down(engine: Engine, seconds: float) -> None:
    """Every statement waits `seconds` first, in whichever thread runs it."""

    def wait(*_: Any) -> None:
        time.sleep(seconds)

    event.listen(engine, "before_cursor_execute", wait)


def burst(engine: Engine, count: int) -> None:
    now = utcnow()
    due = [
        Reminder(
            chat_id=FIRST_CHAT + n,
            kind=AGENCY_REPORT,
            key=f"stall-{n}",
            due_at=now - timedelta(minutes=1),
            params={"agency": f"机构{n}", "year": 2026, "due": "2026-12-15", "missing": ["report"]},
        )
        for n in range(count)
    ]
    with transaction(engine) as session:
        outbox.enqueue(session, due, now)


async def heartbeat(lateness: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(HEARTBEAT)
        lateness.append(time.perf_counter() - started - HEARTBEAT)


async def scenario(url: str, delay: float) -> tuple[list[float], list[float], int]:
    """One run: (the loop's lateness samples, survey tap latencies, reminders sent)."""
    settings = load_settings(database_url=url, quiet_start="00:00", quiet_end="00:00")
    engine = bot_engine(settings)
    invitations = seed(engine, USERS)
    burst(engine, REMINDERS)
    if delay:
        slow_down(engine, delay)
    request = LastMessage()
    app = build_application(settings, engine, token=OFFLINE_TOKEN, request=request)
    failures: list[object] = []

    async def record(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        failures.append(context.error)

    app.add_error_handler(record)
    lateness: list[float] = []
    stop = asyncio.Event()
    await app.initialize()
    try:
        beat = asyncio.create_task(heartbeat(lateness, stop))
        sending = asyncio.create_task(send_due(app.bot, engine, utcnow(), settings))
        latencies, _ = await measure(app, request, invitations, USERS)
        report = await sending
        stop.set()
        await beat
    finally:
        await app.shutdown()
        engine.dispose()
    if failures:
        raise SystemExit(f"the bot failed: {failures[:3]}")
    return lateness, latencies, report.sent


def cut(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--delay-ms", type=float, default=10.0, help="added to every statement")
    parser.add_argument("--database-url", help="an empty database to run on")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    args = parser.parse_args()
    rows = []
    for delay in (args.delay_ms / 1000, 0.0):
        with database(args) as url:
            lateness, latencies, sent = asyncio.run(scenario(url, delay))
            backend = url.split(":", 1)[0]
        rows.append((delay, lateness, latencies, sent))
    print(
        f"{USERS} units tapping through the survey while {REMINDERS} reminders are sent,"
        f" {backend}; heartbeat every {HEARTBEAT * 1000:.0f} ms"
    )
    print(
        f"{'delay/stmt':>10} {'stall p50':>10} {'stall p99':>10} {'stall max':>10}"
        f" {'tap p50':>9} {'tap p99':>9} {'sent':>6}"
    )
    for delay, lateness, latencies, sent in rows:
        print(
            f"{delay * 1000:>8.0f}ms {cut(lateness, 50):>8.2f}ms {cut(lateness, 99):>8.2f}ms"
            f" {max(lateness) * 1000:>8.2f}ms {cut(latencies, 50):>7.1f}ms"
            f" {cut(latencies, 99):>7.1f}ms {sent:>6}"
        )
    _, lateness, _, _ = rows[0]
    p99, worst = cut(lateness, 99), max(lateness) * 1000
    verdict = "met" if p99 < 20 and worst < 50 else "NOT met"
    print(f"targets with the delay (stall p99 < 20 ms, max < 50 ms): {verdict}")


if __name__ == "__main__":
    main()
