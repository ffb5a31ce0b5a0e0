"""Each Telegram update handled once, whichever webhook worker receives it.

Telegram retries a delivery it got no answer for, and behind nginx a retry may
reach another worker. Before handling an update a worker `take`s its id: the
first taker handles it; a second delivery while the first is still being handled
is `BUSY` (the webhook answers 503, so Telegram tries again later), and one after
it is `DONE` (answered 200, nothing happens). A taker that died mid-update leaves
the id `processing`: after `LEASE` another delivery takes it over, so a crash
loses no update. Telegram keeps an update at most 24 hours, so ids older than
`KEEP` are pruned.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, update
from sqlmodel import Session, col

from workflow.access.models import ReceivedUpdate
from workflow.core.db import insert_or_skip

PROCESSING = "processing"
DONE = "done"
LEASE = timedelta(seconds=30)
"""How long a taker may handle one update before a later delivery takes it over: twice
the statement timeout (a handler's statements each end within it); a killed worker's
update is then handled again half a minute later, when Telegram redelivers it."""
KEEP = timedelta(days=2)


class Take(StrEnum):
    NEW = "new"
    BUSY = "busy"
    DONE = "done"


def take(session: Session, update_id: int, now: datetime) -> Take:
    """Whether this delivery of `update_id` should be handled (NEW), retried later (BUSY)
    or only acknowledged (DONE). The insert and the takeover are conditional, so of two
    deliveries at the same moment exactly one gets NEW."""
    inserted = session.exec(
        insert_or_skip(session, ReceivedUpdate)
        .values(update_id=update_id, state=PROCESSING, taken_at=now)
        .on_conflict_do_nothing()
        .returning(col(ReceivedUpdate.update_id))
    ).all()
    if inserted:
        return Take.NEW
    taken_over = session.exec(
        update(ReceivedUpdate)
        .where(
            col(ReceivedUpdate.update_id) == update_id,
            col(ReceivedUpdate.state) == PROCESSING,
            col(ReceivedUpdate.taken_at) < now - LEASE,
        )
        .values(taken_at=now)
    )
    if taken_over.rowcount == 1:
        return Take.NEW
    row = session.get(ReceivedUpdate, update_id)
    return Take.DONE if row is not None and row.state == DONE else Take.BUSY


def finish(session: Session, update_id: int, now: datetime) -> None:
    """The update was handled (or its failure told the user): later deliveries only ack."""
    session.exec(
        update(ReceivedUpdate)
        .where(col(ReceivedUpdate.update_id) == update_id)
        .values(state=DONE, done_at=now)
    )


def prune(session: Session, now: datetime) -> int:
    """Forget ids older than `KEEP` (Telegram redelivers nothing that old); the count."""
    result = session.exec(delete(ReceivedUpdate).where(col(ReceivedUpdate.taken_at) < now - KEEP))
    return max(result.rowcount, 0)
