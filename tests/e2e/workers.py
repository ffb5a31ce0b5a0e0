"""Several `safecomm start` processes in webhook mode on one PostgreSQL database, against
the local Bot API server: the harness of the fault test (`test_workers_e2e.py`) and of
`bench/bench_scale.py`.

The harness plays Telegram and nginx together: `deliver` posts an update to a live
worker with the secret header and, as Telegram does, posts it again (to the next
worker) when a worker is down or answers 503. `seed_burst` makes `count` filed
agencies whose report is due today, each with its own contact, so the leader's first
reminder cycle finds `count` reminders due at once.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session

from tests.builders import agency_fields
from tests.e2e.botapi import BotAPIServer
from workflow.community.models import Campaign
from workflow.core.clock import utcnow
from workflow.core.db import make_engine
from workflow.core.leader import current_leader
from workflow.registry.models import Agency, status_writer
from workflow.reminders.models import AgencyContact

REPO = Path(__file__).resolve().parents[2]
TOKEN = "7000000002:e2e-token-for-the-local-bot-api-000000"
SECRET = "e2e-webhook-secret-0123456789abcdef0123"
SESSION_SECRET = "e2e-session-secret-0123456789abcdef0123456789"
FIRST_CHAT = 50_000_000
TAKEOVER_SECONDS = 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Worker:
    """One `safecomm start` process (webhook mode) on its own port, its log in a file."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL to the process and its uvicorn workers (its own process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def owns(self, pid: int | None) -> bool:
        """Whether `pid` is this process or one of its uvicorn workers."""
        return pid is not None and (pid == self.process.pid or _parent(pid) == self.process.pid)


@dataclass
class Cluster:
    """The Bot API server, the database and the workers the test starts on it."""

    directory: Path
    database_url: str
    workers: list[Worker] = field(default_factory=list)
    api: BotAPIServer = field(default_factory=lambda: BotAPIServer(TOKEN))
    path: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    _turn: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.base_url = self.api.start()
        self.api.push = self.deliver

    def environment(self, port: int, workers: int = 1) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAFECOMM_")}
        env.update(
            PYTHONPATH=str(REPO),
            SAFECOMM_TELEGRAM_TOKEN=TOKEN,
            SAFECOMM_TELEGRAM_BASE_URL=self.base_url,
            SAFECOMM_TELEGRAM_MODE="webhook",
            SAFECOMM_WEBHOOK_SECRET=SECRET,
            SAFECOMM_DATABASE_URL=self.database_url,
            SAFECOMM_SESSION_SECRET=SESSION_SECRET,
            SAFECOMM_WEB_BIND=f"127.0.0.1:{port}",
            SAFECOMM_WEB_BASE_URL=f"http://127.0.0.1:{port}",
            SAFECOMM_WEB_WORKERS=str(workers),
            SAFECOMM_LEADER_TAKEOVER_SECONDS=str(TAKEOVER_SECONDS),
            SAFECOMM_REMINDER_SEND_TIME="00:00",
            SAFECOMM_QUIET_START="00:00",
            SAFECOMM_QUIET_END="00:00",
            SAFECOMM_GUIDANCE_REMINDERS="false",
            SAFECOMM_HELP_PHONE="010-12345678",
        )
        env.update(self.extra)
        return env

    def start_worker(self, workers: int = 1) -> Worker:
        """A new worker process; returns once it serves pages."""
        port = free_port()
        log = self.directory / f"worker-{len(self.workers)}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-c", "from bot.cli import run; run()", "start"],
                cwd=self.directory,
                env=self.environment(port, workers),
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(port, process, log)
        self.workers.append(worker)
        deadline = time.monotonic() + 90
        while True:
            assert worker.alive, f"the worker exited at start:\n{worker.output()}"
            try:
                if httpx.get(f"{worker.url}/public/register", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the worker never served:\n{worker.output()}"
            time.sleep(0.2)
        if not self.path:
            self.path = self._webhook_path()
        return worker

    def _webhook_path(self) -> str:
        from workflow.core.settings import load_settings

        return load_settings(telegram_mode="webhook", webhook_secret=SECRET).webhook_path

    def live(self) -> list[Worker]:
        return [worker for worker in self.workers if worker.alive]

    def post(self, worker: Worker, update: dict[str, Any]) -> int:
        """Post `update` to one worker; the status code (0: no answer)."""
        try:
            answer = httpx.post(
                worker.url + self.path,
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                timeout=30,
            )
        except httpx.TransportError:
            return 0
        return answer.status_code

    def deliver(self, update: dict[str, Any], deadline_seconds: float = 120) -> None:
        """As Telegram behind nginx: to the next live worker, again until one answers 200."""
        deadline = time.monotonic() + deadline_seconds
        while time.monotonic() < deadline:
            workers = self.live()
            if workers:
                worker = workers[next(self._turn) % len(workers)]
                if self.post(worker, update) == 200:
                    return
            time.sleep(0.5)
        raise AssertionError(f"update {update['update_id']} was never accepted")

    def leader_pid(self) -> int | None:
        """The pid of the process that leads, from PostgreSQL's view of the lock."""
        engine = make_engine(self.database_url)
        try:
            found = current_leader(engine)
        finally:
            engine.dispose()
        return int(found.name.rsplit(":", 1)[1]) if found else None

    def wait_for_leader(self, timeout: float) -> Worker:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.leader_pid()
            for worker in self.live():
                if worker.owns(pid):
                    return worker
            time.sleep(0.2)
        raise AssertionError("no worker took the lead")

    def close(self) -> None:
        for worker in self.workers:
            if worker.alive:
                worker.kill()
        self.api.stop()


def seed_burst(database_url: str, count: int, today: date) -> list[int]:
    """`count` filed agencies, each with one contact, their report due `today`: the chats."""
    engine = make_engine(database_url)
    chats = [FIRST_CHAT + n for n in range(count)]
    try:
        with Session(engine) as session:
            year = today.year
            session.merge(
                Campaign(
                    year=year,
                    opens=today,
                    report_due=today,
                    questionnaire_closes=today,
                    results_published=today,
                )
            )
            with status_writer():
                agencies = [Agency(**agency_fields(), status="filed") for _ in chats]
            session.add_all(agencies)
            session.flush()
            for agency, chat in zip(agencies, chats, strict=True):
                assert agency.id is not None
                session.add(
                    AgencyContact(agency_id=agency.id, telegram_user_id=chat, bound_at=utcnow())
                )
            session.commit()
    finally:
        engine.dispose()
    return chats


def most_in_one_second(times: list[float]) -> int:
    """The most arrivals in any window of one second (sliding, from each arrival)."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def _parent(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    line = next((line for line in status.splitlines() if line.startswith("PPid:")), "")
    return int(line.split()[1]) if line else None


def stop_all(workers: list[Worker]) -> None:
    for worker in workers:
        if worker.alive:
            worker.process.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.process.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
