"""Anchors: the audit chain's length and head hash kept outside the database.

The hash chain (`workflow.lifecycle.audit`) shows that no stored entry was edited,
reordered or removed from the middle, but whoever can write the database can also
cut the tail, wipe both tables or rewrite the whole chain with fresh hashes: the
chain is then consistent again. An anchor is a point of the chain written down
elsewhere: every published list prints one (`Seal.line`), and `safecomm audit
anchor` writes a checkpoint file signed (HMAC-SHA256) with a key kept outside the
database (`SAFECOMM_AUDIT_KEY_FILE`). A later `audit verify --anchor FILE` then
requires the chain to still hold that many entries with the same hash at that
point, so history before the anchor cannot be shortened, wiped or rewritten
unnoticed, and the file itself cannot be forged without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session, col, select

from workflow.core.clock import utcnow
from workflow.core.errors import InvalidInput, Refused
from workflow.core.i18n import workflow_texts
from workflow.lifecycle.models import GENESIS, HEAD_ID, AuditEntry

KEY_MIN_BYTES = 32
FORMAT = "safecomm-audit-anchor/1"


@dataclass(frozen=True)
class Seal:
    """Where the chain stands: `count` entries, the newest hashed `head`."""

    count: int
    head: str

    def line(self, language: str | None = None) -> str:
        """The line every published list ends with."""
        return workflow_texts.text(
            "lifecycle.anchor.line", language, count=self.count, head=self.head
        )


def seal(session: Session) -> Seal:
    """The chain as the head row records it, in this session's transaction."""
    row = (
        session.connection()
        .execute(text("SELECT seq, hash FROM audithead WHERE id = :id"), {"id": HEAD_ID})
        .first()
    )
    return Seal(0, GENESIS) if row is None else Seal(int(row[0]), str(row[1]))


@dataclass(frozen=True)
class Anchor:
    """A signed checkpoint read back from its file."""

    seal: Seal
    at: str


def new_key(path: Path) -> None:
    """Write a fresh random key (64 hex characters) readable by its owner only."""
    if path.exists():
        raise Refused("lifecycle.anchor.key_exists", path=str(path))
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as stream:
        stream.write(secrets.token_hex(KEY_MIN_BYTES) + "\n")


def load_key(path: str) -> bytes:
    """The signing key from `path` (at least 32 bytes once trimmed)."""
    if not path:
        raise Refused("lifecycle.anchor.no_key")
    try:
        key = Path(path).read_bytes().strip()
    except OSError as error:
        raise Refused(
            "lifecycle.anchor.key_unreadable", path=path, reason=error.strerror or str(error)
        ) from error
    if len(key) < KEY_MIN_BYTES:
        raise Refused("lifecycle.anchor.key_short", path=path, size=KEY_MIN_BYTES)
    return key


def _signature(key: bytes, count: int, head: str, at: str) -> str:
    message = json.dumps([FORMAT, count, head, at], separators=(",", ":")).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def write_anchor(path: Path, current: Seal, key: bytes, at: datetime | None = None) -> None:
    """The checkpoint file: the seal, when it was taken and its signature."""
    stamp = (at or utcnow()).isoformat(timespec="seconds")
    body = {
        "format": FORMAT,
        "count": current.count,
        "head": current.head,
        "at": stamp,
        "signature": _signature(key, current.count, current.head, stamp),
    }
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")


def read_anchor(path: Path, key: bytes) -> Anchor:
    """The checkpoint in `path`, refused when unreadable, malformed or not signed by `key`."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        count, head, stamp = int(body["count"]), str(body["head"]), str(body["at"])
        signature = str(body["signature"])
        if body.get("format") != FORMAT or count < 0:
            raise ValueError(body.get("format"))
    except OSError as error:
        raise InvalidInput(
            "lifecycle.anchor.unreadable", path=str(path), reason=error.strerror or str(error)
        ) from error
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidInput("lifecycle.anchor.malformed", path=str(path)) from error
    if not hmac.compare_digest(signature, _signature(key, count, head, stamp)):
        raise Refused("lifecycle.anchor.forged", path=str(path))
    return Anchor(Seal(count, head), stamp)


def check(session: Session, anchor: Anchor) -> str | None:
    """The message when the chain no longer holds the anchored point, else None.

    Run it with `audit.verify`: an intact chain whose entry N still has the anchored
    hash carries every entry up to N unchanged."""
    wanted = anchor.seal
    if wanted.count == 0:
        return None
    found = session.exec(select(AuditEntry.hash).where(col(AuditEntry.seq) == wanted.count)).first()
    names = {"count": wanted.count, "at": anchor.at}
    if found is None:
        return workflow_texts.text("lifecycle.anchor.shortened", **names)
    if found != wanted.head:
        return workflow_texts.text("lifecycle.anchor.rewritten", **names)
    return None
