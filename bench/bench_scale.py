"""Benchmark: webhook workers on one PostgreSQL database (issue 15, item 5).

    python bench/bench_scale.py                # 40 units, 1/2/4 workers, 1,000 reminders (minutes)
    python bench/bench_scale.py --quick        # 10 units, 200 reminders: a fast check

Needs the PostgreSQL server binaries (`initdb`, `pg_ctl`, `postgres`); one throwaway
cluster (`tests.pg`) holds a fresh database for each measurement. The harness is the
fault test's (`tests/e2e/workers.py`): real `safecomm start` processes in webhook mode
against the local fake Bot API (`tests/e2e/botapi.py`).

1. Survey updates per second through the webhook, for each `--workers` count N (uvicorn
   workers inside one `safecomm start` process, one port): `--units` guided units each
   answer the questionnaire - `/start <token>`, five answer presses, submit: 7 updates -
   posted straight to the worker by `--clients` concurrent clients (each unit's updates
   in order, units in parallel), after an untimed plain `/start` from each client to
   wake the workers. Each press carries the bot's latest message in that chat and the
   callback data of its button, as Telegram's would. Timed from the first post to the
   last submit answered (a worker answers once it has handled the update); printed:
   updates/s, its ratio to the first count's run (1 worker by default) and where it
   stops growing. The development machine has 2 cores, shared by the workers,
   PostgreSQL and the clients, so 4 workers cannot be twice 2.
2. The reminder burst with 3 workers (three processes, 1 uvicorn worker each): `--burst`
   filed agencies whose report is due today, so the leader's first cycle sends them all.
   Printed: reminders delivered, duplicates, the time from the first arrival to the last,
   the floor Telegram's 30 msg/s sets (count / 30) and the ratio to it, the floor of the
   sender's own 25 msg/s (count / 25), and the busiest one-second window.

The exit code is 1 if a unit's submission is not stored, a reminder is missing or one
arrived twice. No timed asserts: the figures are for reading.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session

from migrations import upgrade
from surveys.answering import latest_submissions
from tests.e2e.test_survey_e2e import button
from tests.e2e.workers import (
    FIRST_CHAT,
    Cluster,
    most_in_one_second,
    seed_burst,
    stop_all,
)
from tests.pg import PostgresServer, binaries_missing, start_server
from tests.surveys.helpers import OPEN_YEAR, guided_units
from workflow.core.db import make_engine

TELEGRAM_RATE = 30  # messages per second overall
SENDER_RATE = 25  # the leader's outbox pace
FIRST_USER = 3_000_000
UPDATES_PER_UNIT = 7  # /start, 5 answers, submit
STEP_SECONDS = 60  # at most, for the bot's answer to one update


class Capture:
    """The fake Bot API's `push`: keeps each update the test side makes, by update id."""

    def __init__(self) -> None:
        self._updates: dict[int, dict[str, Any]] = {}
        self._ready = threading.Condition()

    def __call__(self, update: dict[str, Any]) -> None:
        with self._ready:
            self._updates[int(update["update_id"])] = update
            self._ready.notify_all()

    def take(self, update_id: int) -> dict[str, Any]:
        with self._ready:
            if not self._ready.wait_for(lambda: update_id in self._updates, 10):
                raise RuntimeError(f"update {update_id} was never made")
            return self._updates.pop(update_id)


def fresh_database(server: PostgresServer, name: str) -> str:
    server.execute(f"CREATE DATABASE {name}")
    url = f"postgresql://postgres@127.0.0.1:{server.port}/{name}"
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url


def answer_survey(cluster: Cluster, capture: Capture, user: int, token: str) -> None:
    """One unit's questionnaire, each update posted once its predecessor was answered."""
    api, worker = cluster.api, cluster.workers[-1]

    def post(update_id: int, expect: str) -> None:
        status = cluster.post(worker, capture.take(update_id))
        if status != 200:
            raise RuntimeError(f"user {user}: update {update_id} answered {status}")
        api.wait_for(lambda: api.last_message(user).get("text", "").startswith(expect), 60)

    post(api.send_text(user, f"/start {token}"), "第 1/5 题")
    points = [(user + k) % 5 for k in range(5)]
    for number, value in enumerate(points, start=1):
        message = api.last_message(user)
        update_id, _ = api.press(user, message["message_id"], button(message, f"{value} 分"))
        post(update_id, f"第 {number + 1}/5 题" if number < 5 else "请核对您的答案")
    message = api.last_message(user)
    update_id, _ = api.press(user, message["message_id"], button(message, "提交"))
    post(update_id, "提交成功")


def greet(cluster: Cluster, capture: Capture, user: int) -> None:
    """A plain `/start`, untimed: wakes every worker before the measurement."""
    cluster.post(cluster.workers[-1], capture.take(cluster.api.send_text(user, "/start")))


def bench_survey(
    server: PostgresServer, scratch: Path, workers: int, units: int, clients: int
) -> tuple[float, int]:
    """Updates per second with `workers` uvicorn workers; and the submissions missing."""
    url = fresh_database(server, f"survey_{workers}")
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        invitations = guided_units(session, count=units).invitations
    directory = scratch / f"survey-{workers}"
    directory.mkdir()
    cluster = Cluster(directory, url)
    capture = Capture()
    cluster.api.push = capture
    try:
        cluster.start_worker(workers=workers)
        people = [(FIRST_USER + n, inv.token) for n, inv in enumerate(invitations)]
        with ThreadPoolExecutor(clients) as pool:
            warm = [
                pool.submit(greet, cluster, capture, FIRST_USER - 1 - n) for n in range(clients)
            ]
            for run in warm:
                run.result()
            started = time.perf_counter()
            runs = [pool.submit(answer_survey, cluster, capture, *person) for person in people]
            failures = [run.exception() for run in runs]
        elapsed = time.perf_counter() - started
        stop_all(cluster.workers)
    finally:
        cluster.close()
    for failure in filter(None, failures):
        print(f"  unit failed: {failure}")
    with Session(engine) as session:
        stored = set(latest_submissions(session, OPEN_YEAR))
    engine.dispose()
    missing = len({inv.id for inv in invitations} - stored)
    return units * UPDATES_PER_UNIT / elapsed, missing


def bench_burst(server: PostgresServer, scratch: Path, count: int) -> int:
    """The reminder burst with three worker processes; the number of problems."""
    url = fresh_database(server, "burst")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    chats = set(seed_burst(url, count, today))
    directory = scratch / "burst"
    directory.mkdir()
    cluster = Cluster(directory, url)
    api = cluster.api

    def arrivals() -> list[tuple[float, int]]:
        return [(at, chat) for at, chat in list(api.sent_at) if chat in chats]

    try:
        for _ in range(3):
            cluster.start_worker()
        deadline = time.monotonic() + 3 * count / SENDER_RATE + 120
        while len({chat for _, chat in arrivals()}) < count and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2)  # a late duplicate would show by now
        arrived = arrivals()
        stop_all(cluster.workers)
    finally:
        cluster.close()
    per_chat = Counter(chat for _, chat in arrived)
    delivered = len(per_chat)
    duplicates = sum(times - 1 for times in per_chat.values())
    times = [at for at, _ in arrived]
    duration = max(times) - min(times) if times else 0.0
    floor = count / TELEGRAM_RATE
    print(f"reminders seeded       {count}  (chats {FIRST_CHAT}..{FIRST_CHAT + count - 1})")
    print(f"delivered              {delivered}")
    print(f"duplicates             {duplicates}")
    print(f"first to last arrival  {duration:.1f} s")
    print(f"floor at {TELEGRAM_RATE} msg/s       {floor:.1f} s")
    print(f"ratio                  {duration / floor:.2f}")
    print(f"sender floor {SENDER_RATE} msg/s   {count / SENDER_RATE:.1f} s")
    print(f"busiest 1 s window     {most_in_one_second(times)}")
    problems = 0
    if delivered < count:
        print(f"FAIL: {count - delivered} reminders missing")
        problems += 1
    if duplicates:
        print(f"FAIL: {duplicates} reminders sent twice")
        problems += 1
    return problems


def saturation(counts: list[int], rates: dict[int, float]) -> str:
    """Where more workers stop paying: the first count the next one beats by < 10 %."""
    for fewer, more in itertools.pairwise(counts):
        if rates[more] < 1.1 * rates[fewer]:
            return f"saturates at {fewer} worker(s): {more} give {rates[more] / rates[fewer]:.2f}x"
    return f"no saturation up to {counts[-1]} worker(s)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=40, help="units answering (40)")
    parser.add_argument("--workers", default="1,2,4", help="uvicorn worker counts (1,2,4)")
    parser.add_argument("--burst", type=int, default=1000, help="reminders in the burst (1000)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--quick", action="store_true", help="10 units, a burst of 200")
    args = parser.parse_args()
    if args.quick:
        args.units, args.burst = 10, 200
    try:
        counts = [int(part) for part in args.workers.split(",")]
    except ValueError:
        parser.error("--workers takes counts like 1,2,4")
    if not counts or min(counts) < 1 or args.units < 1 or args.burst < 1 or args.clients < 1:
        parser.error("--units, --workers, --burst and --clients must be at least 1")
    if binaries_missing():
        print(f"PostgreSQL binary {binaries_missing()!r} is missing")
        return 1

    server = start_server()
    problems = 0
    try:
        with tempfile.TemporaryDirectory() as scratch:
            total = args.units * UPDATES_PER_UNIT
            print(f"survey: {args.units} units, {total} updates, {args.clients} clients")
            rates: dict[int, float] = {}
            for workers in counts:
                rate, missing = bench_survey(
                    server, Path(scratch), workers, args.units, args.clients
                )
                rates[workers] = rate
                ratio = rate / rates[counts[0]]
                print(
                    f"  {workers} worker(s)  {rate:7.1f} updates/s"
                    f"  ratio {workers}/{counts[0]} {ratio:.2f}"
                )
                if missing:
                    print(f"FAIL: {missing} of {args.units} submissions not stored")
                    problems += 1
            print(f"  {saturation(counts, rates)} (2 cores)")
            print(f"burst: 3 worker processes, {args.burst} reminders")
            problems += bench_burst(server, Path(scratch), args.burst)
    finally:
        server.stop()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
