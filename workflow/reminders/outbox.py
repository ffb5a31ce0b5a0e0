"""The reminder outbox: one row per message, so restarts neither lose nor repeat one.

A row's life: `pending` (enqueued, due) → `reserved` (taken in a batch by one
sending pass, `FOR UPDATE SKIP LOCKED`) → `claimed` (committed *before* the
network call) → `sent`. Telegram's answer decides the rest:
- refused for now (429 RetryAfter, a server error): back to `reserved`, retried
  by the same pass; a pass that ends hands its reserved rows back (`unreserve`);
- the user blocked the bot (403): `undeliverable`, never retried, listed for admins;
- a permanent refusal (400, e.g. chat not found) or too many attempts: `failed`;
- no answer (time-out, or the process died between send and mark): the
  message may or may not have arrived. Sending it again could show it twice,
  so the row becomes `uncertain` and is *not* resent — at most once — and
  admins see it in the digest. That happens when a new leader takes over
  (`recover`: the old sender is dead, so its claims are uncertain and its
  reservations, never attempted, are pending again) or when a claim is older
  than `CLAIM_LEASE`.
A pending reminder that is no longer relevant (submitted meanwhile, deadline
passed, superseded by a later one) becomes `skipped`.

`enqueue` is idempotent by `key` (unique constraint plus INSERT … ON CONFLICT DO
NOTHING on SQLite and PostgreSQL), so two processes or two ticks may enqueue the
same plan; `reserve` skips rows another transaction holds and `claim` is a
conditional UPDATE on the reserving pass, so only one process sends a row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from workflow.core.clock import utcnow
from workflow.core.db import insert_or_skip
from workflow.reminders.models import (
    CLAIMED,
    FAILED,
    PENDING,
    RESERVED,
    SENT,
    SKIPPED,
    STATES,
    UNCERTAIN,
    UNDELIVERABLE,
    Outbox,
)
from workflow.reminders.plan import Reminder

# A claim older than this without `sent_at` means the sender died mid-send.
CLAIM_LEASE = timedelta(minutes=10)
# Attempts (claims) before a row that keeps failing is given up.
MAX_ATTEMPTS = 5
_CHUNK = 500


def enqueue(session: Session, reminders: Sequence[Reminder], now: datetime | None = None) -> int:
    """Add the reminders whose key is new; return how many were added (the rest existed)."""
    created = now or utcnow()
    rows = [
        {
            "key": r.key,
            "kind": r.kind,
            "chat_id": r.chat_id,
            "due_at": r.due_at,
            "params": r.params,
            "state": PENDING,
            "attempts": 0,
            "last_error": "",
            "created_at": created,
        }
        for r in {r.key: r for r in reminders}.values()
    ]
    added = 0
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        existing = set(
            session.exec(select(Outbox.key).where(col(Outbox.key).in_([r["key"] for r in chunk])))
        )
        fresh = [row for row in chunk if row["key"] not in existing]
        if fresh:
            statement = (
                insert_or_skip(session, Outbox)
                .values(fresh)
                .on_conflict_do_nothing()
                .returning(col(Outbox.key))
            )
            added += len(session.exec(statement).all())
    return added


def retire(session: Session, relevant_keys: Collection[str], kinds: Iterable[str]) -> int:
    """Skip pending rows of `kinds` that the current plan no longer contains; return the count."""
    pending = session.exec(
        select(Outbox.id, Outbox.key).where(
            Outbox.state == PENDING, col(Outbox.kind).in_(list(kinds))
        )
    ).all()
    stale = [row_id for row_id, key in pending if key not in relevant_keys]
    for start in range(0, len(stale), _CHUNK):
        session.exec(
            update(Outbox)
            .where(col(Outbox.id).in_(stale[start : start + _CHUNK]), col(Outbox.state) == PENDING)
            .values(state=SKIPPED, last_error="no longer relevant")
        )
    return len(stale)


def flag_uncertain(session: Session, now: datetime) -> int:
    """Claims older than the lease without `sent_at`: the sender died mid-send. Never resent."""
    result = session.exec(
        update(Outbox)
        .where(col(Outbox.state) == CLAIMED, col(Outbox.claimed_at) < now - CLAIM_LEASE)
        .values(state=UNCERTAIN, last_error="sender stopped between send and mark")
    )
    return max(result.rowcount, 0)


def due_rows(session: Session, now: datetime) -> list[Outbox]:
    """Pending rows due at `now`, oldest first."""
    query = (
        select(Outbox)
        .where(Outbox.state == PENDING, col(Outbox.due_at) <= now)
        .order_by(col(Outbox.due_at), col(Outbox.id))
    )
    return list(session.exec(query))


def reserve(session: Session, now: datetime, limit: int, sender: str) -> list[Outbox]:
    """Take up to `limit` due pending rows, oldest first, for the pass `sender`.

    `FOR UPDATE SKIP LOCKED` lets two senders on PostgreSQL take disjoint batches
    without waiting for each other; SQLite has one writer at a time (its write
    transactions begin IMMEDIATE), so there the select and update are atomic anyway."""
    rows = list(
        session.exec(
            select(Outbox)
            .where(Outbox.state == PENDING, col(Outbox.due_at) <= now)
            .order_by(col(Outbox.due_at), col(Outbox.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if rows:
        session.exec(
            update(Outbox)
            .where(col(Outbox.id).in_([row.id for row in rows]), col(Outbox.state) == PENDING)
            .values(state=RESERVED, sender=sender)
        )
        for row in rows:
            row.state, row.sender = RESERVED, sender
    return rows


def claim(session: Session, row_id: int, now: datetime, sender: str) -> bool:
    """Take a row `sender` reserved, right before sending it (attempts + 1). False if
    the row is no longer that pass's (a new leader recovered it, or it is done)."""
    result = session.exec(
        update(Outbox)
        .where(
            col(Outbox.id) == row_id, col(Outbox.state) == RESERVED, col(Outbox.sender) == sender
        )
        .values(state=CLAIMED, claimed_at=now, attempts=Outbox.attempts + 1)
    )
    return result.rowcount == 1


def unreserve(session: Session, sender: str) -> int:
    """The rows `sender` reserved and did not get to: pending again; the count."""
    result = session.exec(
        update(Outbox)
        .where(col(Outbox.state) == RESERVED, col(Outbox.sender) == sender)
        .values(state=PENDING, sender="")
    )
    return max(result.rowcount, 0)


def recover(session: Session) -> tuple[int, int]:
    """What dead senders left, taken over by a new leader (no other sender runs):
    reservations never attempted are pending again, claims never marked are
    uncertain (sent or not, nobody knows). (released, uncertain)."""
    released = session.exec(
        update(Outbox).where(col(Outbox.state) == RESERVED).values(state=PENDING, sender="")
    )
    uncertain = session.exec(
        update(Outbox)
        .where(col(Outbox.state) == CLAIMED)
        .values(state=UNCERTAIN, last_error="sender stopped between send and mark")
    )
    return max(released.rowcount, 0), max(uncertain.rowcount, 0)


def _finish(session: Session, row_id: int, state: str, error: str = "", **values: Any) -> None:
    """Move a claimed row on; `last_error` keeps the latest error even once it is sent."""
    if error:
        values["last_error"] = error[:500]
    session.exec(
        update(Outbox)
        .where(col(Outbox.id) == row_id, col(Outbox.state) == CLAIMED)
        .values(state=state, **values)
    )


def mark_sent(session: Session, row_id: int, now: datetime) -> None:
    _finish(session, row_id, SENT, sent_at=now)


def release(session: Session, row_id: int, error: str) -> None:
    """Telegram refused for now (the message did not arrive): reserved again, for the
    same pass to retry."""
    _finish(session, row_id, RESERVED, error, claimed_at=None)


def mark_undeliverable(session: Session, row_id: int, error: str) -> None:
    """The user blocked the bot (403): never retried."""
    _finish(session, row_id, UNDELIVERABLE, error)


def mark_failed(session: Session, row_id: int, error: str) -> None:
    """A permanent refusal or too many attempts: given up."""
    _finish(session, row_id, FAILED, error)


def mark_uncertain(session: Session, row_id: int, error: str) -> None:
    """No answer (time-out): it may have arrived, so it is not resent."""
    _finish(session, row_id, UNCERTAIN, error)


def undeliverable_chats(session: Session) -> list[tuple[int, str, datetime | None]]:
    """Chats that blocked the bot: (chat id, last error, when last tried), for the coverage report.

    A chat that received a reminder after its latest 403 has unblocked the bot: not listed.
    """
    refused: dict[int, tuple[str, datetime | None]] = {}
    for chat_id, error, when in session.exec(
        select(Outbox.chat_id, Outbox.last_error, Outbox.claimed_at)
        .where(Outbox.state == UNDELIVERABLE)
        .order_by(col(Outbox.claimed_at), col(Outbox.id))
    ):
        refused[int(chat_id)] = (str(error), when)  # the latest refusal of each chat wins
    delivered: dict[int, datetime | None] = dict(
        session.exec(
            select(Outbox.chat_id, func.max(Outbox.sent_at))
            .where(Outbox.state == SENT, col(Outbox.chat_id).in_(list(refused)))
            .group_by(col(Outbox.chat_id))
        ).all()
    )

    def unblocked(chat_id: int, refused_at: datetime | None) -> bool:
        sent_at = delivered.get(chat_id)
        return sent_at is not None and refused_at is not None and sent_at > refused_at

    return [
        (chat_id, error, when)
        for chat_id, (error, when) in sorted(refused.items())
        if not unblocked(chat_id, when)
    ]


def rows_in(session: Session, state: str) -> list[Outbox]:
    """Every row in `state` (e.g. the uncertain ones admins should check), oldest first."""
    return list(
        session.exec(
            select(Outbox).where(Outbox.state == state).order_by(col(Outbox.due_at), col(Outbox.id))
        )
    )


def rows_with_keys(session: Session, keys: Sequence[str]) -> list[Outbox]:
    """The rows for these keys (those enqueued so far)."""
    found: list[Outbox] = []
    for start in range(0, len(keys), _CHUNK):
        found += session.exec(
            select(Outbox).where(col(Outbox.key).in_(keys[start : start + _CHUNK]))
        )
    return found


def counts(session: Session) -> dict[str, int]:
    """How many rows are in each state (every state present, zero if none)."""
    found = dict(session.exec(select(Outbox.state, func.count()).group_by(col(Outbox.state))).all())
    return {state: int(found.get(state, 0)) for state in STATES}
