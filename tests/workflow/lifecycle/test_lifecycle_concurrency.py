"""Two admins at the same moment, on PostgreSQL with two real connections: exactly one
wins, the other is told the state changed meanwhile, and the audit chain never forks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.workflow.lifecycle_steps import ADMIN, TG_ADMIN, audit_count, make_agency
from workflow.core.db import transaction
from workflow.core.errors import Conflict
from workflow.core.settings import Settings
from workflow.lifecycle import engine as lifecycle
from workflow.lifecycle.audit import verify
from workflow.registry.models import Agency

pytestmark = pytest.mark.postgres


def _race(engine: Engine, calls: list[Callable[[Session], object]]) -> list[object]:
    """Run the calls in two threads, each on its own connection; both have read the
    agency before either writes it (a barrier at the status UPDATE)."""
    barrier = threading.Barrier(len(calls), timeout=20)

    def hold(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE AGENCY"):
            barrier.wait()

    results: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            with transaction(engine) as session:
                results[index] = calls[index](session)
        except Exception as error:
            results[index] = error

    event.listen(engine, "before_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
    finally:
        event.remove(engine, "before_cursor_execute", hold)
    return results


def test_two_admins_at_once_exactly_one_wins(pg_engine: Engine, settings: Settings) -> None:
    settings = settings.model_copy(update={"admin_ids": [1001]})
    with Session(pg_engine, expire_on_commit=False) as session:
        agency = make_agency(session)
        agency_id = agency.id
        assert agency_id is not None

    results = _race(
        pg_engine,
        [
            lambda s: lifecycle.advance(
                s, agency_id, "reject", ADMIN, "材料不全", settings=settings
            ),
            lambda s: lifecycle.advance(
                s, agency_id, "reject", TG_ADMIN, "材料造假", settings=settings
            ),
        ],
    )

    conflicts = [r for r in results if isinstance(r, Conflict)]
    wins = [r for r in results if not isinstance(r, Exception)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    assert "状态刚被他人改变" in str(conflicts[0])
    with Session(pg_engine) as session:
        row = session.get(Agency, agency_id)
        assert row is not None and (row.status, row.version) == ("rejected", 2)
        assert audit_count(session) == 1
        assert verify(session).ok


def test_simultaneous_changes_of_two_agencies_do_not_fork_the_chain(
    pg_engine: Engine, settings: Settings
) -> None:
    with Session(pg_engine, expire_on_commit=False) as session:
        ids = [make_agency(session).id, make_agency(session).id]

    results = _race(
        pg_engine,
        [
            lambda s, i=agency_id: lifecycle.advance(
                s, i, "reject", ADMIN, "因总量控制未列入本批次备案名单", settings=settings
            )  # type: ignore[misc]
            for agency_id in ids
        ],
    )

    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(r.seq for r in results) == [1, 2]  # type: ignore[attr-defined]
    with Session(pg_engine) as session:
        result = verify(session)
        assert result.ok and result.checked == 2
