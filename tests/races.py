"""Two people at once, each on their own database connection, as two processes would be.

`at_once` runs each work in its own thread, on its own engine of the same database,
inside `transaction(engine)` like a chat press or a CLI command. Each work calls
`meet()` (or code it runs does) between what it reads and what it writes: on PostgreSQL both have read
before either writes (the interleaving that lost updates before); on SQLite a writer
holds the write lock from its first statement, so the other waits at BEGIN and
`meet()` gives up waiting for it — the outcome must be right either way.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from workflow.core.db import make_engine, transaction
from workflow.core.errors import DomainError

Work = Callable[[Session, Callable[[], None]], Any]
MEET_SECONDS = 1.0  # how long a work waits for the other at `meet()`; never asserted


def second_engine(engine: Engine) -> Engine:
    """Another engine (its own pool, its own connections) on `engine`'s database."""
    return make_engine(engine.url.render_as_string(hide_password=False))


def meeting(parties: int = 2) -> Callable[[], None]:
    """A point `parties` threads wait at for each other, or go on when one never comes
    (it waits for a lock the others hold)."""
    barrier = threading.Barrier(parties, timeout=MEET_SECONDS)

    def meet() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):  # the other waits for our lock
            barrier.wait()

    return meet


def at_once(engine: Engine, *works: Work, meet: Callable[[], None] | None = None) -> list[Any]:
    """What each work returned, or the DomainError it raised, in the order given."""
    engines = [engine, *(second_engine(engine) for _ in works[1:])]
    meet = meet or meeting(len(works))
    results: list[Any] = [None] * len(works)

    def run(index: int) -> None:
        try:
            with transaction(engines[index]) as session:
                results[index] = works[index](session, meet)
        except DomainError as refusal:
            results[index] = refusal
        except BaseException as error:  # reported to the test below
            results[index] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in engines[1:]:
        other.dispose()
    crashed = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, DomainError)
    ]
    assert not crashed, crashed
    return results
