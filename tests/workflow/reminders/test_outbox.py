"""The outbox: idempotent enqueueing, exclusive claims, and rows that are never sent twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from workflow.core.db import transaction
from workflow.reminders import models, outbox
from workflow.reminders.models import Outbox
from workflow.reminders.plan import AGENCY_REPORT, KINDS, UNIT_QUESTIONNAIRE, Reminder

NOW = datetime(2026, 12, 12, 1, 0, tzinfo=UTC)


def reminder(
    key: str, chat_id: int = 501, kind: str = AGENCY_REPORT, due: datetime = NOW
) -> Reminder:
    return Reminder(chat_id=chat_id, kind=kind, key=key, due_at=due, params={"agency": "甲公司"})


def states(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {row.key: row.state for row in session.exec(select(Outbox))}


def test_enqueue_adds_only_new_keys(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        assert outbox.enqueue(session, [reminder("a"), reminder("b"), reminder("a")], NOW) == 2
    with transaction(any_engine) as session:
        assert outbox.enqueue(session, [reminder("a"), reminder("b"), reminder("c")], NOW) == 1
    assert states(any_engine) == {"a": "pending", "b": "pending", "c": "pending"}
    with Session(any_engine) as session:
        row = session.exec(select(Outbox).where(Outbox.key == "a")).one()
    assert row.params == {"agency": "甲公司"}
    assert row.due_at == NOW
    assert row.attempts == 0 and row.sent_at is None


def test_enqueue_of_thousands_of_rows_in_one_go(any_engine: Engine) -> None:
    many = [reminder(f"k{i}", chat_id=i) for i in range(1200)]
    with transaction(any_engine) as session:
        assert outbox.enqueue(session, many, NOW) == 1200
    with transaction(any_engine) as session:
        assert outbox.enqueue(session, many, NOW) == 0


@pytest.mark.postgres
def test_two_processes_enqueueing_the_same_plan_add_each_key_once(pg_engine: Engine) -> None:
    """B cannot see A's uncommitted rows; its insert waits for A and then does nothing."""
    first = Session(pg_engine)
    assert outbox.enqueue(first, [reminder("same")], NOW) == 1
    result: list[int] = []

    def second() -> None:
        with transaction(pg_engine) as session:
            result.append(outbox.enqueue(session, [reminder("same")], NOW))

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=0.5)  # B is blocked on A's row
    first.commit()
    first.close()
    thread.join()
    assert result == [0]
    assert states(pg_engine) == {"same": "pending"}


def test_a_row_is_claimed_by_one_sender_only(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        outbox.enqueue(session, [reminder("a")], NOW)
        (row,) = outbox.reserve(session, NOW, 10, "first")
    assert row.id is not None and row.state == "reserved"
    with transaction(any_engine) as session:
        assert outbox.reserve(session, NOW, 10, "second") == []
        assert outbox.claim(session, row.id, NOW, "second") is False
        assert outbox.claim(session, row.id, NOW, "first") is True
    with transaction(any_engine) as session:
        assert outbox.claim(session, row.id, NOW, "first") is False
        assert outbox.due_rows(session, NOW) == []
    row_id = row.id
    with transaction(any_engine) as session:
        outbox.mark_sent(session, row_id, NOW)
    with Session(any_engine) as session:
        row = session.get(Outbox, row_id)
        assert row is not None
        assert (row.state, row.attempts, row.sent_at) == ("sent", 1, NOW)


def test_only_rows_due_by_now_are_handed_out_oldest_first(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        outbox.enqueue(
            session,
            [
                reminder("later", due=NOW + timedelta(hours=1)),
                reminder("second", due=NOW),
                reminder("first", due=NOW - timedelta(days=1)),
            ],
            NOW,
        )
        assert [row.key for row in outbox.due_rows(session, NOW)] == ["first", "second"]


def test_a_claim_never_marked_becomes_uncertain_after_the_lease_and_is_not_handed_out(
    any_engine: Engine,
) -> None:
    with transaction(any_engine) as session:
        outbox.enqueue(session, [reminder("a")], NOW)
        row_id = outbox.reserve(session, NOW, 10, "s")[0].id
        assert row_id is not None
        outbox.claim(session, row_id, NOW, "s")
    # the sender died here: sent or not, nobody knows
    with transaction(any_engine) as session:
        assert outbox.flag_uncertain(session, NOW + outbox.CLAIM_LEASE / 2) == 0
        assert outbox.flag_uncertain(session, NOW + outbox.CLAIM_LEASE + timedelta(seconds=1)) == 1
        assert outbox.due_rows(session, NOW + timedelta(days=1)) == []
        assert [row.key for row in outbox.rows_in(session, models.UNCERTAIN)] == ["a"]
        assert outbox.counts(session)["uncertain"] == 1


def test_released_rows_stay_with_their_pass_then_are_pending_again_and_keep_the_error(
    any_engine: Engine,
) -> None:
    with transaction(any_engine) as session:
        outbox.enqueue(session, [reminder("a")], NOW)
        row_id = outbox.reserve(session, NOW, 10, "s")[0].id
        assert row_id is not None
        outbox.claim(session, row_id, NOW, "s")
        outbox.release(session, row_id, "Flood control exceeded. Retry in 1 seconds")
        assert outbox.due_rows(session, NOW) == []  # still the pass's, to retry
        assert outbox.claim(session, row_id, NOW, "s") is True
        outbox.release(session, row_id, "Flood control exceeded. Retry in 1 seconds")
        assert outbox.unreserve(session, "s") == 1
        (row,) = outbox.due_rows(session, NOW)
    assert (row.state, row.attempts, row.claimed_at) == ("pending", 2, None)
    assert row.last_error.startswith("Flood control")


def test_undeliverable_chats_are_listed_once_each(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        outbox.enqueue(session, [reminder("a", 501), reminder("b", 501), reminder("c", 502)], NOW)
        for row in outbox.reserve(session, NOW, 10, "s"):
            assert row.id is not None
            outbox.claim(session, row.id, NOW, "s")
            if row.chat_id == 501:
                outbox.mark_undeliverable(session, row.id, "Forbidden: bot was blocked by the user")
            else:
                outbox.mark_sent(session, row.id, NOW)
        blocked = outbox.undeliverable_chats(session)
        assert [(chat, error) for chat, error, _ in blocked] == [
            (501, "Forbidden: bot was blocked by the user")
        ]
        assert outbox.counts(session) == {
            "pending": 0,
            "reserved": 0,
            "claimed": 0,
            "sent": 1,
            "undeliverable": 2,
            "failed": 0,
            "uncertain": 0,
            "skipped": 0,
        }


def test_a_chat_that_received_a_reminder_after_blocking_is_no_longer_undeliverable(
    any_engine: Engine,
) -> None:
    later = NOW + timedelta(days=1)
    with transaction(any_engine) as session:
        outbox.enqueue(session, [reminder("a", 501), reminder("b", 502)], NOW)
        outbox.enqueue(session, [reminder("c", 501, due=later)], NOW)
        for row in outbox.reserve(session, NOW, 10, "s"):
            assert row.id is not None
            outbox.claim(session, row.id, NOW, "s")
            outbox.mark_undeliverable(session, row.id, "Forbidden: bot was blocked by the user")
        assert [chat for chat, _, _ in outbox.undeliverable_chats(session)] == [501, 502]
        (unblocked,) = outbox.reserve(session, later, 10, "s")
        assert unblocked.id is not None
        outbox.claim(session, unblocked.id, later, "s")
        outbox.mark_sent(session, unblocked.id, later)
        assert [chat for chat, _, _ in outbox.undeliverable_chats(session)] == [502]


def test_retire_skips_pending_rows_the_plan_dropped_and_nothing_else(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        outbox.enqueue(
            session,
            [
                reminder("keep"),
                reminder("drop"),
                reminder("done"),
                reminder("other-kind", kind="future_kind"),
                reminder("unit", kind=UNIT_QUESTIONNAIRE),
            ],
            NOW,
        )
        done = next(r for r in outbox.due_rows(session, NOW) if r.key == "done")
        assert done.id is not None
        outbox.reserve(session, NOW, 10, "s")
        outbox.claim(session, done.id, NOW, "s")
        outbox.unreserve(session, "s")
        outbox.mark_sent(session, done.id, NOW)
        assert outbox.retire(session, {"keep"}, KINDS) == 2
    assert states(any_engine) == {
        "keep": "pending",
        "drop": "skipped",
        "done": "sent",
        "other-kind": "pending",
        "unit": "skipped",
    }


@pytest.mark.postgres
def test_two_senders_reserve_disjoint_batches_without_waiting(pg_engine: Engine) -> None:
    """The first pass has not committed its batch yet: the second skips those rows."""
    with transaction(pg_engine) as session:
        outbox.enqueue(session, [reminder(f"k{n}", chat_id=n) for n in range(10)], NOW)
    first = Session(pg_engine)
    taken = [row.key for row in outbox.reserve(first, NOW, 4, "first")]
    second: list[str] = []

    def other() -> None:
        with transaction(pg_engine) as session:
            second.extend(row.key for row in outbox.reserve(session, NOW, 4, "second"))

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive()  # it did not wait for the first pass's locks
    first.commit()
    first.close()
    assert taken == ["k0", "k1", "k2", "k3"] and second == ["k4", "k5", "k6", "k7"]


def test_a_new_leader_recovers_what_dead_senders_left(any_engine: Engine) -> None:
    """Reserved and never attempted: pending again. Claimed and never marked: uncertain."""
    with transaction(any_engine) as session:
        outbox.enqueue(session, [reminder(f"k{n}", chat_id=n) for n in range(3)], NOW)
        tried, _untouched = outbox.reserve(session, NOW, 2, "dead")
        assert tried.id is not None
        outbox.claim(session, tried.id, NOW, "dead")
    with transaction(any_engine) as session:
        assert outbox.recover(session) == (1, 1)
    assert states(any_engine) == {"k0": "uncertain", "k1": "pending", "k2": "pending"}
    with transaction(any_engine) as session:
        assert [row.key for row in outbox.reserve(session, NOW, 10, "new")] == ["k1", "k2"]
        assert outbox.claim(session, tried.id, NOW, "new") is False
        assert outbox.unreserve(session, "new") == 2
