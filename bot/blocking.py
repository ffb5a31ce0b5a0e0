"""The one seam for blocking work, shared by the bot and the web pages: every database
unit of work runs in a worker thread, never on the event loop, so a slow statement
or a lock wait delays only the update or request that needs it.

    shown = await run_unit(engine, lambda session: answering.press(session, …))

The work gets a session inside `transaction(engine)` (commit on success, roll
back on error) and returns plain values or detached rows; the caller then
talks to Telegram or renders a page on the loop. A database that is locked,
too slow or unreachable raises `DatabaseUnavailable`, which no topic's refusal
handling catches: the bot's error handler and the web app's error page tell
the user to try again later. Each application owns one thread pool of
`bot_concurrency` workers, as many as the connections its PostgreSQL pool keeps.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine
from sqlmodel import Session

from workflow.core.db import transaction
from workflow.core.errors import StorageUnavailable

T = TypeVar("T")


class DatabaseUnavailable(Exception):
    """The unit of work could not reach or lock the database; nothing was written."""


Work = Callable[[Session], T]


def new_executor(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="safecomm-db")


async def run_unit(
    engine: Engine,
    work: Work[T],
    *,
    read_only: bool = False,
    executor: Executor | None = None,
) -> T:
    """Run `work(session)` as one unit of work in a worker thread (`executor`, else
    the loop's default) and return its result."""

    def unit() -> T:
        with _one_writer(engine, read_only), transaction(engine, read_only=read_only) as session:
            return work(session)

    try:
        return await asyncio.get_running_loop().run_in_executor(executor, unit)
    except StorageUnavailable as error:
        raise DatabaseUnavailable(error.params.get("detail", "")) from error


_SQLITE_WRITERS: WeakKeyDictionary[Engine, threading.Lock] = WeakKeyDictionary()
_CREATING = threading.Lock()
WRITER_WAIT = 5.0  # seconds, as SQLite's busy timeout (workflow.core.db)


@contextmanager
def _one_writer(engine: Engine, read_only: bool) -> Iterator[None]:
    """SQLite lets one transaction write at a time, and a writer that finds the file
    locked sleeps in steps of up to 100 ms (the busy timeout): our own worker threads
    therefore queue on a lock instead, for at most the busy timeout, so that a writer
    held up elsewhere (a long CLI command) fails in bounded time instead of queueing
    every thread behind it. Reads, and PostgreSQL, run side by side."""
    if read_only or engine.dialect.name != "sqlite":
        yield
        return
    with _CREATING:
        lock = _SQLITE_WRITERS.setdefault(engine, threading.Lock())
    if not lock.acquire(timeout=WRITER_WAIT):
        raise StorageUnavailable("db.unavailable", detail="database is locked")
    try:
        yield
    finally:
        lock.release()
