"""Benchmark: N reminders through the real sender, rate limiter and outbox.

    python bench/bench_reminders.py                 # 3,500 reminders: takes about 2 minutes
    python bench/bench_reminders.py --count 300     # a quick run (~15 s)

3,500 is about the number of communities in Beijing. The bot is the one
`build_application` makes (AIORateLimiter: 30 messages/s overall, 3 retries
on 429), talking to `bot.demo.offline.RecordingRequest`, which answers instantly
and refuses a random 1% of sends with `429 Too Many Requests, retry after 1`.
Every reminder goes to its own chat. Printed: the total time, the floor that
30 messages/s sets (N / 30), their ratio, the 429s injected, and how many
reminders were lost or duplicated (both must be 0; the exit code is 1 if not).
Each 429 halts all sending for retry_after + 0.1 s (AIORateLimiter), but the
limiter's bucket refills meanwhile, so the ratio stays close to 1.
"""

from __future__ import annotations

import argparse
import asyncio
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
NOW = datetime(2026, 12, 12, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # outside the quiet period
FIRST_CHAT = 10_000_000


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


async def bench(count: int, error_rate: float, seed: int, database_url: str) -> int:
    settings = load_settings(database_url=database_url)
    engine = make_engine(database_url)
    upgrade(engine)
    with transaction(engine) as session:
        outbox.enqueue(session, reminders(count), NOW)

    rng = random.Random(seed)
    delivered: Counter[int] = Counter()
    refused = Counter[str]()

    def telegram(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if method != "sendMessage":
            return None
        if rng.random() < error_rate:
            refused["429"] += 1
            return error(429, "Too Many Requests: retry after 1", retry_after=1)
        delivered[int(params["chat_id"])] += 1
        return None

    request = RecordingRequest(responder=telegram)
    app = build_application(settings, engine, token=OFFLINE_TOKEN, request=request)
    async with app:
        started = time.perf_counter()
        report = await send_due(app.bot, engine, NOW, settings)
        elapsed = time.perf_counter() - started

    with Session(engine) as session:
        marked_sent = session.exec(
            select(func.count()).select_from(Outbox).where(Outbox.state == models.SENT)
        ).one()
    expected = {FIRST_CHAT + n for n in range(count)}
    lost = len(expected - set(delivered))
    duplicated = sum(times - 1 for times in delivered.values() if times > 1)
    floor = count / RATE
    print(f"reminders            {count}")
    print(f"total time           {elapsed:.1f} s")
    print(f"floor at {RATE} msg/s     {floor:.1f} s")
    print(f"ratio                {elapsed / floor:.2f}")
    print(f"429 injected         {refused['429']}  (sender retries: {report.retried})")
    print(f"marked sent          {marked_sent}")
    print(f"lost                 {lost}")
    print(f"duplicated           {duplicated}")
    engine.dispose()
    return 0 if lost == 0 and duplicated == 0 and marked_sent == count else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=3500, help="reminders to send (3500)")
    parser.add_argument("--error-rate", type=float, default=0.01, help="share of 429s (0.01)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.db'}"
        return asyncio.run(bench(args.count, args.error_rate, args.seed, url))


if __name__ == "__main__":
    sys.exit(main())
