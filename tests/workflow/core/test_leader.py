"""Leader election on real databases: one leader among processes, a killed, frozen or
terminated leader replaced within bounded time."""

from __future__ import annotations

import hashlib
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from tests.pg import PostgresServer
from workflow.core.db import make_engine
from workflow.core.leader import LOCK_KEY, Leadership, current_leader

ROOT = Path(__file__).parents[3]

CHILD = """
import sys, time
from workflow.core.db import make_engine
from workflow.core.leader import Leadership
leadership = Leadership(make_engine(sys.argv[1]), name="child")
if not leadership.try_acquire():
    print("following", flush=True)
    sys.exit(1)
print("leading", flush=True)
while leadership.check():
    time.sleep(leadership.poll_seconds)
"""


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _eventually(condition: object, seconds: float = 5.0) -> bool:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


@contextmanager
def _leaders(engine: Engine, count: int, **options: int) -> Iterator[list[Leadership]]:
    leaders = [Leadership(engine, name=f"test-{i}", **options) for i in range(count)]
    try:
        yield leaders
    finally:
        for leader in leaders:
            leader.release()


def test_the_lock_key_is_derived_from_the_name() -> None:
    digest = hashlib.sha256(b"safecomm-leader").digest()
    assert int.from_bytes(digest[:8], "big") >> 1 == LOCK_KEY
    assert 0 < LOCK_KEY < 2**63


def test_two_leaderships_on_one_database_never_both_lead(any_engine: Engine) -> None:
    with _leaders(any_engine, 2) as (first, second):
        assert current_leader(any_engine) is None
        assert first.try_acquire() and first.leading
        assert first.try_acquire()  # idempotent
        assert not second.try_acquire() and not second.leading
        leader = current_leader(any_engine)
        assert leader is not None and leader.name == "safecomm-leader test-0"
        if any_engine.dialect.name == "postgresql":
            assert leader.since is not None and leader.since.utcoffset() is not None
        assert first.check() and not second.check()
        first.release()
        first.release()  # idempotent
        assert not first.leading and not first.check()
        assert second.try_acquire()
        leader = current_leader(any_engine)
        assert leader is not None and leader.name == "safecomm-leader test-1"
    assert current_leader(any_engine) is None


def test_a_terminated_session_loses_leadership(
    pg_engine: Engine, pg_server: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    with _leaders(pg_engine, 2) as (first, second):
        assert first.try_acquire()
        pool = pg_engine.pool  # the lock's connection is its own, not the pool's
        assert isinstance(pool, QueuePool) and pool.checkedout() == 0
        with pg_engine.connect() as connection:
            state = connection.execute(
                text("SELECT state FROM pg_stat_activity WHERE application_name = :name"),
                {"name": first.name},
            ).scalar_one()
        assert state == "idle"  # autocommit: never idle in transaction
        pg_server.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name LIKE 'safecomm-leader%'"
        )
        with caplog.at_level(logging.WARNING, logger="workflow.core.leader"):
            assert not first.check()
        assert not first.leading
        assert [r.getMessage().startswith("leadership lost: ") for r in caplog.records] == [True]
        assert caplog.records[0].exc_info is None
        assert second.try_acquire()


def test_a_frozen_leader_is_timed_out_by_the_server(pg_engine: Engine) -> None:
    with _leaders(pg_engine, 2, takeover_seconds=3) as (first, second):
        assert first.idle_timeout_ms == 2000 and first.poll_seconds == 1.0
        assert first.try_acquire()
        time.sleep(1.0)
        assert first.check()  # a heartbeat keeps the session alive past the timeout
        time.sleep(1.5)
        assert not second.try_acquire()
        time.sleep(1.5)  # no heartbeat for 3 s: the server ended the session
        assert _eventually(second.try_acquire, 3.0)
        assert not first.check() and not first.leading


def _wait_for_line(child: subprocess.Popen[str], seconds: float = 15.0) -> str:
    assert child.stdout is not None
    ready, _, _ = select.select([child.stdout], [], [], seconds)
    assert ready, "the child printed nothing"
    return child.stdout.readline().strip()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_killed_leader_process_is_replaced(backend: str, request: pytest.FixtureRequest) -> None:
    engine: Engine = request.getfixturevalue("engine" if backend == "sqlite" else "pg_engine")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, _url(engine)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert _wait_for_line(child) == "leading"
        with _leaders(engine, 1) as (mine,):
            assert not mine.try_acquire()
            leader = current_leader(engine)
            assert leader is not None and leader.name == "safecomm-leader child"
            child.send_signal(signal.SIGKILL)
            child.wait(5)
            assert _eventually(mine.try_acquire)
            leader = current_leader(engine)
            assert leader is not None and leader.name == "safecomm-leader test-0"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(5)
        if child.stdout is not None:
            child.stdout.close()


def test_an_in_memory_database_always_leads() -> None:
    engine = make_engine("sqlite://")
    try:
        with _leaders(engine, 2) as (first, second):
            assert first.try_acquire() and second.try_acquire()
            assert first.check() and first.leading
            first.release()
            assert not first.leading
        assert current_leader(engine) is not None
    finally:
        engine.dispose()


def test_a_file_lock_stays_on_release_and_a_replaced_file_loses(engine: Engine) -> None:
    lock_file = Path(str(engine.url.database) + ".leader")
    with _leaders(engine, 2) as (first, second):
        assert first.try_acquire()
        assert lock_file.read_text() == "test-0"
        first.release()
        assert lock_file.exists()  # deleting it would race with another acquirer
        assert first.try_acquire()
        lock_file.unlink()  # someone removed it: a second process could now lock a new one
        assert not first.check()
        assert second.try_acquire()


def test_an_unreachable_server_gives_false_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    engine = make_engine(f"postgresql+psycopg://postgres:secret@127.0.0.1:{port}/nothing")
    try:
        with caplog.at_level(logging.WARNING, logger="workflow.core.leader"):
            assert not Leadership(engine).try_acquire()
        (record,) = caplog.records
        assert record.getMessage().startswith("leadership not acquired: ")
        assert record.exc_info is None and "secret" not in record.getMessage()
    finally:
        engine.dispose()


def test_the_takeover_bound_must_leave_room_for_heartbeats(engine: Engine) -> None:
    with pytest.raises(ValueError):
        Leadership(engine, takeover_seconds=2)
    assert Leadership(engine).poll_seconds == 10.0
    assert Leadership(engine, takeover_seconds=30).idle_timeout_ms == 20000
