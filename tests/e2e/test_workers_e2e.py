"""Three webhook workers on one PostgreSQL database, faults included (issue 15).

A burst of 1,000 due reminders; the leader is killed with SIGKILL mid-burst, then a
follower, and both are started again, while four units answer the questionnaire
through whichever worker is up. Then one update is delivered to two workers at once,
and the database is restarted under load. Checked: every reminder sent exactly once
or flagged uncertain (none lost, none twice), at most 30 reminders in any second,
every answer stored, the duplicate applied once, and users told "temporarily
unavailable" (never "something went wrong") in the chat and on the pages while the database
is down, then served again without restarting a worker, and a leader elected again.
"""

from __future__ import annotations

import gc
import itertools
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import Session, col, func, select

from migrations import upgrade
from surveys.answering import latest_submissions
from surveys.models import answers_of
from tests.e2e.test_survey_e2e import button
from tests.e2e.workers import TAKEOVER_SECONDS, Cluster, most_in_one_second, seed_burst
from tests.pg import PostgresServer, binaries_missing, start_server
from tests.surveys.helpers import OPEN_YEAR, guided_units
from workflow.core.db import make_engine
from workflow.reminders.models import SENT, UNCERTAIN, Outbox

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

BURST = 1000
UNITS = {2101: [4, 3, 2, 1, 0], 2102: [3, 3, 3, 3, 3], 2103: [1, 2, 3, 4, 4], 2104: [0, 0, 4, 4, 2]}
UNAVAILABLE = "暂时无法访问数据库，请稍后再试"
GREETING = "您好！这里是北京市安全文化促进会"
LOAD_USERS = range(2301, 2309)
PAGE_UNAVAILABLE = "暂时无法访问数据库，请稍后再试"


@pytest.fixture
def server() -> Iterator[PostgresServer]:
    """A cluster of its own: this test restarts it."""
    if binaries_missing():
        pytest.fail(f"PostgreSQL binary {binaries_missing()!r} is missing")
    own = start_server()
    try:
        yield own
    finally:
        own.stop()


class Person:
    """A unit's staff member answering in the chat, whatever worker handles each tap."""

    def __init__(self, cluster: Cluster, user: int) -> None:
        self.api, self.user = cluster.api, user

    def say(self, text: str, expect: str) -> None:
        before = len(self.api.messages(self.user))
        self.api.send_text(self.user, text)
        self.api.wait_for(lambda: len(self.api.messages(self.user)) > before, 90)
        self.screen(expect)

    def tap(self, label: str, expect: str) -> None:
        message = self.api.last_message(self.user)
        _, query_id = self.api.press(self.user, message["message_id"], button(message, label))
        self.api.wait_for(lambda: query_id in self.api.answered, 90)
        self.screen(expect)

    def screen(self, expect: str) -> None:
        self.api.wait_for(
            lambda: self.api.last_message(self.user).get("text", "").startswith(expect), 90
        )

    def answer(self, token: str, points: list[int]) -> None:
        self.say(f"/start {token}", "第 1/5 题")
        for number, value in enumerate(points, start=1):
            following = f"第 {number + 1}/5 题" if number < 5 else "请核对您的答案"
            self.tap(f"{value} 分", following)
            time.sleep(0.3)
        self.tap("提交", "提交成功")


def reminders_arrived(cluster: Cluster, chats: set[int]) -> list[tuple[float, int]]:
    return [(at, chat) for at, chat in list(cluster.api.sent_at) if chat in chats]


def burst_states(url: str) -> Counter[str]:
    """How many burst rows are in each state: a cheap query, polled while reminders arrive."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            query = (
                select(Outbox.state, func.count())
                .where(col(Outbox.key).like("agency:%"))
                .group_by(col(Outbox.state))
            )
            return Counter({state: int(count) for state, count in session.exec(query)})
    finally:
        engine.dispose()


def burst_rows(url: str) -> list[Outbox]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return list(session.exec(select(Outbox).where(col(Outbox.key).like("agency:%"))))
    finally:
        engine.dispose()


def start_update(update_id: int, user: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user, "type": "private", "first_name": "用户"},
            "from": {"id": user, "is_bot": False, "first_name": "用户"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


def test_three_workers_survive_kills_and_a_database_restart(
    server: PostgresServer, tmp_path: Path
) -> None:
    server.execute("CREATE DATABASE faults")
    url = f"postgresql://postgres@127.0.0.1:{server.port}/faults"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=len(UNITS))
    engine.dispose()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    chats = set(seed_burst(url, BURST, today))
    cluster = Cluster(tmp_path, url)
    # arrivals are timed in this process: a garbage collection over the whole test
    # session's objects would stall the Bot API server's threads and bunch them up
    gc.freeze()
    try:
        for _ in range(3):
            cluster.start_worker()
        leader = cluster.wait_for_leader(30)

        people = [
            threading.Thread(target=Person(cluster, user).answer, args=(inv.token, points))
            for (user, points), inv in zip(UNITS.items(), guided.invitations, strict=True)
        ]
        for person in people:
            person.start()

        # the leader dies mid-burst; another takes over within the takeover time
        cluster.api.wait_for(lambda: len(reminders_arrived(cluster, chats)) >= 200, 120)
        leader.kill()
        killed_at = time.monotonic()
        successor = cluster.wait_for_leader(TAKEOVER_SECONDS + 10)
        takeover = time.monotonic() - killed_at
        assert takeover <= TAKEOVER_SECONDS + 5
        # then a follower; both come back
        cluster.api.wait_for(lambda: len(reminders_arrived(cluster, chats)) >= 500, 120)
        next(w for w in cluster.live() if w is not successor).kill()
        cluster.start_worker()
        cluster.start_worker(workers=2)  # uvicorn workers in one process compete as well

        deadline = time.monotonic() + 240
        while set(states := burst_states(url)) - {SENT, UNCERTAIN}:
            assert time.monotonic() < deadline, states
            time.sleep(1)
        for person in people:
            person.join(180)
            assert not person.is_alive()

        # every reminder exactly once, or flagged uncertain; never twice; ≤ 30 a second
        arrivals = reminders_arrived(cluster, chats)
        per_chat = Counter(chat for _, chat in arrivals)
        rows = burst_rows(url)
        assert len(rows) == BURST and max(per_chat.values()) == 1
        assert all(per_chat[row.chat_id] == 1 for row in rows if row.state == SENT)
        uncertain = [row for row in rows if row.state == UNCERTAIN]
        assert len(uncertain) <= 20  # at most what was in flight at each kill
        busiest = most_in_one_second([at for at, _ in arrivals])
        assert busiest <= 30
        print(  # the figures the issue note quotes (pytest -s shows them)
            f"reminders: {len(arrivals)} arrived, {len(uncertain)} uncertain,"
            f" busiest second {busiest}, takeover {takeover:.1f} s"
        )

        # every answer stored
        engine = make_engine(url)
        with Session(engine) as session:
            latest = latest_submissions(session, OPEN_YEAR)
            by_invitation = {inv.id: inv for inv in guided.invitations}
            stored = {by_invitation[i].unit_id: answers_of(s) for i, s in latest.items()}
        engine.dispose()
        expected = {
            inv.unit_id: dict(enumerate(points, start=1))
            for points, inv in zip(UNITS.values(), guided.invitations, strict=True)
        }
        assert stored == expected

        # one update delivered to two workers at once is applied once
        first, second = cluster.live()[:2]
        twice = start_update(900_001, 2201)
        posts = [
            threading.Thread(target=cluster.post, args=(worker, twice))
            for worker in (first, second)
        ]
        for post in posts:
            post.start()
        for post in posts:
            post.join(30)
        cluster.api.wait_for(lambda: len(cluster.api.messages(2201)) >= 1)
        time.sleep(2)
        assert len(cluster.api.messages(2201)) == 1

        # the database restarts under load: users are told, then served again
        replies: dict[int, list[str]] = {user: [] for user in LOAD_USERS}
        stop = threading.Event()

        def load(user: int) -> None:
            for n in itertools.count(1):
                if stop.is_set():
                    return
                cluster.deliver(start_update(user * 1000 + n, user))
                replies[user].append(cluster.api.last_message(user).get("text", ""))
                time.sleep(0.2)

        pages: list[tuple[int, str]] = []

        def browse() -> None:
            while not stop.is_set():
                worker = cluster.live()[0]
                try:
                    page = httpx.get(f"{worker.url}/public/register", timeout=30)
                    pages.append((page.status_code, page.text))
                except httpx.TransportError:
                    pass
                time.sleep(0.2)

        loaders = [threading.Thread(target=load, args=(user,)) for user in LOAD_USERS]
        loaders.append(threading.Thread(target=browse))
        for loader in loaders:
            loader.start()
        time.sleep(2)
        server.restart(down_seconds=4)
        time.sleep(4)
        stop.set()
        for loader in loaders:
            loader.join(120)
        said = [text for texts in replies.values() for text in texts]
        assert any(text.startswith(UNAVAILABLE) for text in said), said
        assert all(text.startswith((UNAVAILABLE, GREETING)) for text in said), said
        assert all(texts[-1].startswith(GREETING) for texts in replies.values()), replies
        assert {status for status, _ in pages} == {200, 503}, [status for status, _ in pages]
        assert all(PAGE_UNAVAILABLE in text for status, text in pages if status == 503)
        assert pages[-1][0] == 200
        cluster.wait_for_leader(TAKEOVER_SECONDS + 20)
        for worker in cluster.workers:
            assert "Traceback" not in worker.output() or not worker.alive, worker.output()
    finally:
        gc.unfreeze()
        cluster.close()
