"""Benchmark: N reminders through the real sender, rate limiter and outbox.

    python bench/bench_reminders.py                 # 3,500 reminders: takes about 2 minutes
    python bench/bench_reminders.py --count 300     # a quick run (~15 s)
    python bench/bench_reminders.py --stubborn 0    # only the 429s the limiter absorbs

3,500 is about the number of communities in Beijing. The bot is the one
`build_application` makes (AIORateLimiter: 30 messages/s overall, 3 retries
on 429), talking to `bot.demo.offline.RecordingRequest`, which answers instantly.
Every reminder goes to its own chat. Two kinds of 429 (`retry after 1`):

- random: 1% of sends (`--error-rate`) are refused once. AIORateLimiter
  retries them itself; the sender never sees them.
- stubborn: `--stubborn` chats (default: 1 in 350 of `--count`, at least 1;
  10 of 3,500), spread over the queue, are refused `--stubborn-429s` times in a
  row (default 4 = the limiter's 3 retries + 1). The limiter gives up after its
  3 retries and raises RetryAfter to the sender, which releases the row, waits
  retry_after and sends again: every 4 refusals in a row are one retry of the
  sender (`SendReport.retried`). Random 429s spare these chats.

Printed: the 429s injected (random, stubborn), how many the limiter absorbed
and how many it passed on to the sender (counted from the limiter's own log
records), the sender's retries, the reminders sent, lost and duplicated, the
total time, the floor that 30 messages/s sets (N / 30) and their ratio.
The exit code is 1 if a reminder was lost or duplicated, a row is not marked
sent, the limiter did not see every 429 injected, the sender's retries differ
from the RetryAfters the limiter passed on, or the stubborn chats did not get
as far as the sender's retry.
Each 429 the limiter absorbs holds all sending for up to retry_after + 0.1 s,
but the limiter's bucket refills meanwhile, so single 429s leave the ratio
close to 1. A stubborn chat's absorbed 429s come back to back, so each such
chat costs more: on the development machine the default 10 of 3,500 added
about 2 s, 10 of 300 about 5 s. The sender's own wait holds only that chat.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from bot.demo.offline import OFFLINE_TOKEN, RecordingRequest, error
from bot.telegram.app import build_application
from bot.telegram.sender import send_due
from migrations import upgrade
from workflow.core.db import make_engine, transaction
from workflow.core.settings import load_settings
from workflow.reminders import models, outbox
from workflow.reminders.models import Outbox
from workflow.reminders.plan import AGENCY_REPORT, Reminder

RATE = 30  # Telegram: messages per second overall
LIMITER_RETRIES = 3  # build_application: AIORateLimiter(max_retries=3)
RETRY_AFTER = 1  # seconds, in every injected 429
NOW = datetime(2026, 12, 12, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # outside the quiet period
FIRST_CHAT = 10_000_000
LIMITER_LOGGER = "telegram.ext.AIORateLimiter"


def reminders(count: int) -> list[Reminder]:
    return [
        Reminder(
            chat_id=FIRST_CHAT + n,
            kind=AGENCY_REPORT,
            key=f"bench:{n}",
            due_at=NOW,
            params={
                "agency": f"北京安全咨询有限公司{n}",
                "year": 2026,
                "due": "2026-12-15",
                "missing": ["report", "evidence"],
            },
        )
        for n in range(count)
    ]


def stubborn_chats(count: int, stubborn: int) -> set[int]:
    """`stubborn` chats spread evenly over the queue (the first is the queue's first)."""
    return {FIRST_CHAT + i * count // stubborn for i in range(stubborn)} if stubborn else set()


class LimiterLog(logging.Handler):
    """Counts AIORateLimiter's records: a retry it makes itself, or a RetryAfter it re-raises."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.absorbed = 0
        self.passed_on = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:  # "Rate limit hit after maximum of %d retries"
            self.passed_on += 1
        elif record.levelno == logging.INFO:  # "Rate limit hit. Retrying after %f seconds"
            self.absorbed += 1


async def bench(
    count: int,
    error_rate: float,
    stubborn: int,
    in_a_row: int,
    seed: int,
    database_url: str,
) -> int:
    settings = load_settings(database_url=database_url)
    engine = make_engine(database_url)
    upgrade(engine)
    with transaction(engine) as session:
        outbox.enqueue(session, reminders(count), NOW)

    rng = random.Random(seed)
    delivered: Counter[int] = Counter()
    refused = Counter[str]()
    stubborn_left = dict.fromkeys(stubborn_chats(count, stubborn), in_a_row)

    def telegram(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if method != "sendMessage":
            return None
        chat_id = int(params["chat_id"])
        if chat_id in stubborn_left:
            if stubborn_left[chat_id] > 0:
                stubborn_left[chat_id] -= 1
                refused["stubborn"] += 1
                return too_many_requests()
        elif rng.random() < error_rate:
            refused["random"] += 1
            return too_many_requests()
        delivered[chat_id] += 1
        return None

    log = LimiterLog()
    limiter_logger = logging.getLogger(LIMITER_LOGGER)
    limiter_logger.addHandler(log)
    limiter_logger.setLevel(logging.INFO)
    limiter_logger.propagate = False  # no traceback on stderr for each RetryAfter passed on
    request = RecordingRequest(responder=telegram)
    app = build_application(settings, engine, token=OFFLINE_TOKEN, request=request)
    try:
        async with app:
            started = time.perf_counter()
            report = await send_due(app.bot, engine, NOW, settings)
            elapsed = time.perf_counter() - started
    finally:
        limiter_logger.removeHandler(log)

    with Session(engine) as session:
        marked_sent = session.exec(
            select(func.count()).select_from(Outbox).where(Outbox.state == models.SENT)
        ).one()
    engine.dispose()
    expected = {FIRST_CHAT + n for n in range(count)}
    lost = len(expected - set(delivered))
    duplicated = sum(times - 1 for times in delivered.values() if times > 1)
    floor = count / RATE
    injected = refused["random"] + refused["stubborn"]
    # every LIMITER_RETRIES + 1 refusals in a row get past the limiter to the sender
    least_retries = len(stubborn_left) * (in_a_row // (LIMITER_RETRIES + 1))
    print(f"reminders              {count}")
    print(
        f"stubborn chats         {len(stubborn_left)}"
        f"  ({in_a_row} x 429 in a row each, limiter max_retries={LIMITER_RETRIES})"
    )
    print(
        f"429 injected           {injected}"
        f"  (random {refused['random']}, stubborn {refused['stubborn']})"
    )
    print(f"  absorbed by limiter  {log.absorbed}")
    print(f"  passed to sender     {log.passed_on}")
    print(f"sender retries         {report.retried}  (at least {least_retries} expected)")
    print(f"sent                   {report.sent}  (marked sent: {marked_sent})")
    print(f"lost                   {lost}")
    print(f"duplicated             {duplicated}")
    print(f"total time             {elapsed:.1f} s")
    print(f"floor at {RATE} msg/s       {floor:.1f} s")
    print(f"ratio                  {elapsed / floor:.2f}")
    problems = []
    if lost or duplicated:
        problems.append(f"{lost} lost, {duplicated} duplicated")
    if marked_sent != count or report.sent != count:
        problems.append(f"{marked_sent} of {count} rows marked sent, sender reports {report.sent}")
    if log.absorbed + log.passed_on != injected:
        problems.append(
            f"the limiter saw {log.absorbed + log.passed_on} of the {injected} 429s injected"
        )
    if report.retried != log.passed_on:
        problems.append(
            f"the sender retried {report.retried} times for {log.passed_on} RetryAfters"
        )
    if report.retried < least_retries:
        problems.append(f"the sender retried {report.retried} times, < {least_retries}")
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


def too_many_requests() -> tuple[int, dict[str, Any]]:
    return error(429, f"Too Many Requests: retry after {RETRY_AFTER}", retry_after=RETRY_AFTER)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=3500, help="reminders to send (3500)")
    parser.add_argument(
        "--error-rate", type=float, default=0.01, help="share of single 429s (0.01)"
    )
    parser.add_argument(
        "--stubborn",
        type=int,
        help="chats refused --stubborn-429s times in a row (default: count / 350, at least 1)",
    )
    parser.add_argument(
        "--stubborn-429s",
        type=int,
        default=LIMITER_RETRIES + 1,
        metavar="K",
        help=f"429s in a row for each stubborn chat ({LIMITER_RETRIES + 1}: one sender retry)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args()
    if args.count < 1:
        parser.error("--count must be at least 1")
    stubborn = max(1, args.count // 350) if args.stubborn is None else args.stubborn
    if not 0 <= stubborn <= args.count:
        parser.error("--stubborn must be between 0 and --count")
    # the sender gives a row outbox.MAX_ATTEMPTS sends, each retried by the limiter
    most = outbox.MAX_ATTEMPTS * (LIMITER_RETRIES + 1) - 1
    if not 0 <= args.stubborn_429s <= most:
        parser.error(f"--stubborn-429s must be between 0 and {most} for a row to be sent")
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.db'}"
        return asyncio.run(
            bench(args.count, args.error_rate, stubborn, args.stubborn_429s, args.seed, url)
        )


if __name__ == "__main__":
    sys.exit(main())
