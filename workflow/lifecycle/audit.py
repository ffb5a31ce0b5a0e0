"""The audit log: one append-only row per lifecycle step, chained by hashes.

Each entry stores the hash of the entry before it (`prev_hash`) and its own
`hash = sha256(canonical JSON of its fields + prev_hash)`. Editing, deleting or
reordering any stored entry therefore breaks the chain at that entry, and
`verify` names the first broken one. The one-row `audithead` table holds the
sequence number and hash of the newest entry: an append first updates that row,
which takes a row lock on PostgreSQL (the write lock on SQLite), so two
concurrent appends queue up instead of forking the chain, and cutting entries
off the end is detected too.

Rows are never updated or deleted through the ORM (the mapper refuses); the hash
chain is what catches changes made behind the application's back.
`state_findings` catches the one change the chain cannot see: an agency's status
set in SQL with no entry (each status must be where its newest entry left it).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, text
from sqlmodel import Session, col, select

from workflow.access.actors import Actor
from workflow.core.clock import utcnow
from workflow.core.i18n import workflow_texts
from workflow.core.privacy import redact
from workflow.lifecycle.models import GENESIS, HEAD_ID, AuditEntry, AuditHead

REASON_MAX = 500
VERIFY_CHUNK = 1000
"""Entries `verify` reads at a time."""
_APPENDED = "safecomm.audit.appended"
"""Where a session keeps the entries appended in it (`appended`)."""


HASHED_FIELDS = (
    "seq",
    "at",
    "actor",
    "actor_name",
    "role",
    "channel",
    "agency_id",
    "application_id",
    "trigger",
    "source",
    "target",
    "reason",
    "ground",
    "subject",
    "prev_hash",
)


@dataclass(frozen=True)
class EntryInWords:
    """An audit entry's codes as a person reads them (TERMS.md: no English code in
    Chinese output): the operation, the states (or roles) before and after, the role
    and channel of whoever acted, and the ground, reason and subject as one note."""

    trigger: str
    source: str
    target: str
    role: str
    channel: str
    note: str


def in_words(entry: AuditEntry, language: str | None = None) -> EntryInWords:
    from workflow.lifecycle.states import ground_label

    ground = ground_label(entry.ground, language) if entry.ground else ""
    return EntryInWords(
        trigger=_named(("lifecycle.trigger",), entry.trigger, language),
        source=_named(("lifecycle.state", "lifecycle.role"), entry.source, language),
        target=_named(("lifecycle.state", "lifecycle.role"), entry.target, language),
        role=_named(("lifecycle.role",), entry.role, language),
        channel=_named(("lifecycle.channel",), entry.channel, language),
        note=" ".join(
            part for part in (ground, entry.reason, _subject(entry.subject, language)) if part
        ),
    )


_SUBJECT = re.compile(r"^(?P<kind>objection|activity|publication):(?P<n>\d+)$")


def _subject(subject: str, language: str | None) -> str:
    """`objection:3` as 异议 3 (the stored subject keeps its code: it is hashed)."""
    match = _SUBJECT.match(subject)
    if match is None:
        return subject
    return workflow_texts.text(f"lifecycle.subject.{match['kind']}", language, n=match["n"])


def _named(kinds: tuple[str, ...], code: str, language: str | None) -> str:
    """The catalogue's name for `code` under the first of `kinds` that has one, else
    the code itself (an entry older than its label)."""
    for kind in kinds:
        try:
            return workflow_texts.text(f"{kind}.{code}", language)
        except KeyError:
            continue
    return code


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def entry_hash(entry: AuditEntry) -> str:
    """sha256 over the canonical JSON of the entry's fields, `prev_hash` included."""
    payload = {name: _canonical(getattr(entry, name)) for name in HASHED_FIELDS}
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _take_head(session: Session) -> tuple[int, str]:
    """Lock the head row (by updating it) and return the newest (seq, hash)."""
    locked = session.connection().execute(
        text("UPDATE audithead SET seq = seq WHERE id = :id"), {"id": HEAD_ID}
    )
    if locked.rowcount == 0:  # a schema made without the migration's head row
        session.add(AuditHead())
        session.flush()
    row = session.connection().execute(
        text("SELECT seq, hash FROM audithead WHERE id = :id"), {"id": HEAD_ID}
    )
    seq, last = row.one()
    return int(seq), str(last)


def hold_head(session: Session) -> None:
    """Take now the lock every entry takes (the audit head): what is checked after it
    (how many a round has filed) cannot change before this unit of work commits."""
    _take_head(session)


def append(
    session: Session,
    *,
    actor: Actor,
    role: str,
    trigger: str,
    agency_id: int | None = None,
    application_id: int | None = None,
    source: str = "",
    target: str = "",
    reason: str | None = None,
    ground: str | None = None,
    subject: str = "",
    at: datetime | None = None,
) -> AuditEntry:
    """Add the next entry of the chain (flushed, not committed: the caller's unit of work)."""
    seq, previous = _take_head(session)
    entry = AuditEntry(
        seq=seq + 1,
        at=at or utcnow(),
        actor=actor.key,
        actor_name=actor.name,
        role=role,
        channel=actor.channel,
        agency_id=agency_id,
        application_id=application_id,
        trigger=trigger,
        source=source,
        target=target,
        reason=redact((reason or "").strip()),
        ground=ground or "",
        subject=subject,
        prev_hash=previous,
        hash="",
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    session.connection().execute(
        text("UPDATE audithead SET seq = :seq, hash = :hash WHERE id = :id"),
        {"seq": entry.seq, "hash": entry.hash, "id": HEAD_ID},
    )
    session.info.setdefault(_APPENDED, []).append(entry)
    return entry


def appended(session: Session) -> list[AuditEntry]:
    """The entries appended in this session's unit of work, oldest first: what a way in
    hands to what follows its commit (the register, `registry.register.after_commit`)."""
    return list(session.info.get(_APPENDED, ()))


def history(session: Session, agency_id: int) -> list[AuditEntry]:
    """An agency's entries, oldest first."""
    query = (
        select(AuditEntry).where(AuditEntry.agency_id == agency_id).order_by(col(AuditEntry.seq))
    )
    return list(session.exec(query).all())


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of walking the chain: `problem` is None when it is intact."""

    checked: int
    last_hash: str
    problem: str | None = None
    entry_id: int | None = None
    seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def message(self, language: str | None = None) -> str:
        if self.ok:
            return workflow_texts.text(
                "lifecycle.audit.intact", language, count=self.checked, hash=self.last_hash[:12]
            )
        return workflow_texts.text(
            f"lifecycle.audit.{self.problem}", language, id=self.entry_id, seq=self.seq
        )


def _entries(session: Session, chunk: int) -> Iterator[AuditEntry]:
    """Every entry in storage (id) order, read `chunk` rows at a time (keyset pagination):
    at most one chunk is held, whatever the length of the log."""
    after: int | None = None
    while True:
        query = select(AuditEntry).order_by(col(AuditEntry.id)).limit(chunk)
        if after is not None:
            query = query.where(col(AuditEntry.id) > after)
        rows = session.exec(query).all()  # the previous chunk is released by now
        yield from rows
        if len(rows) < chunk:
            return
        after = rows[-1].id


def _stands_later(session: Session, seq: int, entry_id: int | None) -> bool:
    """Whether the entry numbered `seq` is stored after the entry `entry_id`."""
    assert entry_id is not None  # a stored entry
    query = select(AuditEntry.id).where(AuditEntry.seq == seq, col(AuditEntry.id) > entry_id)
    return session.exec(query.limit(1)).first() is not None


def verify(session: Session, *, chunk: int = VERIFY_CHUNK) -> VerifyResult:
    """Walk the entries in storage order and name the first one whose link is broken.

    - `edited`: the stored hash is not the hash of the stored fields;
    - `reordered`: the entry stands where another, still present, should be;
    - `missing`: the entry that should come here is gone (deleted);
    - `relinked`: the entry does not point at its predecessor (an earlier
      entry was rewritten with a fresh hash);
    - `truncated`: the newest entries were deleted (the head names a later one).

    The entries are read `chunk` at a time, so memory stays flat as the log grows.
    """
    expected, previous, checked = 1, GENESIS, 0
    for entry in _entries(session, chunk):
        if entry_hash(entry) != entry.hash:
            return VerifyResult(checked, previous, "edited", entry.id, entry.seq)
        if entry.seq != expected:
            later = entry.seq < expected or _stands_later(session, expected, entry.id)
            problem = "reordered" if later else "missing"
            return VerifyResult(checked, previous, problem, entry.id, entry.seq)
        if entry.prev_hash != previous:
            return VerifyResult(checked, previous, "relinked", entry.id, entry.seq)
        expected, previous, checked = expected + 1, entry.hash, checked + 1
    head = (
        session.connection()
        .execute(text("SELECT seq, hash FROM audithead WHERE id = :id"), {"id": HEAD_ID})
        .first()
    )
    # no head row while entries exist means the head itself was deleted
    head_ok = checked == 0 if head is None else (head[0], head[1]) == (expected - 1, previous)
    if not head_ok:
        return VerifyResult(checked, previous, "truncated", None, expected - 1)
    return VerifyResult(checked, previous)


@dataclass(frozen=True)
class StateFinding:
    """An agency whose stored status is not where its last audit entry left it: the
    status was changed behind the log's back (the chain alone cannot see that)."""

    agency_id: int
    agency_name: str
    status: str
    recorded: str

    def message(self, language: str | None = None) -> str:
        return workflow_texts.text(
            "lifecycle.audit.state_mismatch",
            language,
            id=self.agency_id,
            name=self.agency_name,
            status=_named(("lifecycle.state",), self.status, language),
            recorded=_named(("lifecycle.state",), self.recorded, language),
        )


def state_findings(session: Session) -> list[StateFinding]:
    """Every agency whose status differs from the target of its newest entry that names
    a state (an agency with no such entry must still be in the initial state)."""
    from workflow.lifecycle.states import INITIAL, State
    from workflow.registry.models import Agency

    moves = (col(AuditEntry.agency_id).is_not(None), col(AuditEntry.target).in_(list(State)))
    newest = (
        select(AuditEntry.agency_id, func.max(AuditEntry.seq).label("seq"))
        .where(*moves)
        .group_by(col(AuditEntry.agency_id))
        .subquery()
    )
    recorded = dict(
        session.exec(
            select(AuditEntry.agency_id, AuditEntry.target).join(
                newest,
                and_(
                    col(AuditEntry.agency_id) == newest.c.agency_id,
                    col(AuditEntry.seq) == newest.c.seq,
                ),
            )
        ).all()
    )
    agencies = session.exec(select(Agency.id, Agency.name, Agency.status).order_by(col(Agency.id)))
    return [
        StateFinding(agency_id, name, status, recorded.get(agency_id, INITIAL.value))
        for agency_id, name, status in agencies
        if agency_id is not None and status != recorded.get(agency_id, INITIAL.value)
    ]
