"""Pending `/advance` confirmations, kept in the database rather than in a bot's memory.

`propose` stores what the admin asked for and saw (the state, for the
compare-and-set in `engine.advance`) under a short random nonce that the ✅ / ✖
buttons carry; `decide` claims it once, for the same person, before it
expires. A restart or another process therefore honours a valid ✅, and a
second tap on a decided one says what became of it rather than "expired".
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from workflow.access.actors import Actor
from workflow.core.errors import Refused
from workflow.core.text import check_characters
from workflow.lifecycle.models import PendingAdvance

CONFIRM_WITHIN = timedelta(minutes=15)
KEEP_DECIDED = timedelta(days=30)  # decided rows answer a late second tap, then go

CONFIRMED = "confirmed"
CANCELLED = "cancelled"
FAILED = "failed"  # confirmed, but the rules refused the advance then


class NotPending(Refused):
    """The confirmation cannot be decided (any more): expired, someone else's, or decided."""


def propose(
    session: Session,
    actor: Actor,
    agency_id: int,
    trigger: str,
    *,
    reason: str | None,
    ground: str | None,
    seen_status: str,
    now: datetime,
) -> PendingAdvance:
    """Store a confirmation to ask for; forget the ones nobody will press any more."""
    session.connection().execute(
        sa.delete(PendingAdvance).where(col(PendingAdvance.expires_at) < now - KEEP_DECIDED)
    )
    pending = PendingAdvance(
        nonce=secrets.token_urlsafe(6)[:8],
        actor_key=actor.key,
        agency_id=agency_id,
        trigger=trigger,
        reason=None if reason is None else check_characters(reason, field="reason", multiline=True),
        ground=ground,
        seen_status=seen_status,
        created_at=now,
        expires_at=now + CONFIRM_WITHIN,
    )
    session.add(pending)
    session.flush()
    return pending


def decide(
    session: Session, nonce: str, actor: Actor, decision: str, now: datetime
) -> PendingAdvance:
    """Claim the confirmation `nonce` for `decision` (once, by its author, in time).

    Raises NotPending: `lifecycle.confirmation.expired` (unknown, someone else's, or
    too old), `.already_confirmed` / `.already_cancelled` / `.already_failed` (a
    second tap)."""
    claimed = (
        session.connection()
        .execute(
            sa.update(PendingAdvance)
            .where(
                col(PendingAdvance.nonce) == nonce,
                col(PendingAdvance.actor_key) == actor.key,
                col(PendingAdvance.decided_at).is_(None),
                col(PendingAdvance.expires_at) > now,
            )
            .values(decided_at=now, decision=decision)
            .execution_options(synchronize_session=False)
        )
        .rowcount
    )
    pending = session.get(PendingAdvance, nonce, populate_existing=True)
    if pending is None or pending.actor_key != actor.key:
        raise NotPending("lifecycle.confirmation.expired")
    if claimed != 1:
        if pending.decision is None:
            raise NotPending("lifecycle.confirmation.expired")
        raise NotPending(f"lifecycle.confirmation.already_{pending.decision}")
    return pending
