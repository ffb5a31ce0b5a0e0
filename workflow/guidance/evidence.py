"""Evidence files of guidance activities: stored with their SHA-256, one row per file.

A file and its row exist together or not at all. The file is written first (`stage`),
under a name no other upload shares, then the row is added in the caller's
transaction (`add_evidence`); when that transaction fails the staged file is removed
(`staging` does it for the files staged in its block). A crash between the two leaves
at most an unreferenced file, never a row without its file. Every file is checked by
its content too (`contacts.check_content`: a program renamed to .pdf is refused, in
the chat, on the web and at the terminal alike), and counts towards the agency's
`contacts.MAX_FILES_PER_CAMPAIGN`. `attach_file` does the
three steps for the CLI and imports; `attach_upload` and `hand_in_upload` do them in
one session, all in the calling (worker) thread, so that nothing between them can be
cancelled (the web pages); the chat does them around its own worker-thread transaction.

The same content is accepted once per agency and campaign: a second upload is refused
with the activity that already holds it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workflow.access.actors import Actor
from workflow.community.models import CreationUnit
from workflow.core.clock import utcnow
from workflow.core.db import transaction
from workflow.core.errors import NotFound, Refused
from workflow.core.settings import Settings
from workflow.guidance import activities
from workflow.guidance.models import EvidenceFile, GuidanceActivity
from workflow.reminders import contacts
from workflow.reminders.contacts import check_content, check_upload
from workflow.reminders.models import SubmittedDocument

ATTACH = "guidance.attach"
DETACH = "guidance.detach"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Staged:
    """A file written into the evidence folder, not yet recorded."""

    path: Path
    sha256: str
    size: int
    extension: str


def folder(settings: Settings, agency_id: int, year: int) -> Path:
    """Where an agency's evidence files of a campaign are kept."""
    return Path(settings.upload_dir) / str(year) / str(agency_id) / "guidance"


def checksum(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def stage(
    source: Path,
    original_name: str,
    mime_type: str,
    agency_id: int,
    year: int,
    settings: Settings,
    *,
    into: Path | None = None,
) -> Staged:
    """Check the file's type, size and content (its name and type are whatever the sender
    says) and copy it into the evidence folder (or `into`) under a new name (written to a
    temporary name and renamed, so a reader never sees half a file)."""
    extension = check_upload(original_name, mime_type, source.stat().st_size, settings)
    check_content(source, extension)
    sha256, size = checksum(source)
    target_dir = into or folder(settings, agency_id, year)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{sha256[:16]}-{secrets.token_hex(4)}.{extension}"
    partial = target.with_name(target.name + ".part")
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    except OSError:
        partial.unlink(missing_ok=True)
        raise
    return Staged(target, sha256, size, extension)


def discard(staged: Staged) -> None:
    """Remove a staged file whose row was not committed."""
    staged.path.unlink(missing_ok=True)


@contextmanager
def staging() -> Iterator[list[Staged]]:
    """The files staged in the block (append them): removed when the block fails, so a
    file whose row was not committed never stays. Put the transaction inside it."""
    staged: list[Staged] = []
    try:
        yield staged
    except BaseException:
        for each in staged:
            discard(each)
        raise


def _holder(session: Session, agency_id: int, year: int, sha256: str) -> EvidenceFile | None:
    return session.exec(
        select(EvidenceFile).where(
            EvidenceFile.agency_id == agency_id,
            EvidenceFile.year == year,
            EvidenceFile.sha256 == sha256,
        )
    ).first()


def _duplicate(session: Session, existing: EvidenceFile) -> Refused:
    activity = session.get(GuidanceActivity, existing.activity_id)
    unit = session.get(CreationUnit, activity.unit_id) if activity else None
    return Refused(
        "guidance.duplicate_file",
        name=existing.original_name,
        activity=existing.activity_id,
        unit=unit.name if unit else "",
        day=activity.held_on if activity else "",
    )


def add_evidence(
    session: Session,
    activity_id: int,
    staged: Staged,
    original_name: str,
    mime_type: str,
    actor: Actor,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> EvidenceFile:
    """Record a staged file as evidence of the activity (flushed; audited)."""
    activity = activities.find_activity(session, activity_id)
    on_behalf = activities.recorder_on_behalf(session, actor, activity.agency_id, settings)
    activities.check_open(session, activity.agency_id, activity.year)
    contacts.check_may_hand_in(session, activity.agency_id, activity.year)
    existing = _holder(session, activity.agency_id, activity.year, staged.sha256)
    if existing is not None:
        raise _duplicate(session, existing)
    now = now or utcnow()
    name = activities.parse_text("file_name", original_name, 255) or staged.path.name
    row = EvidenceFile(
        activity_id=activity_id,
        agency_id=activity.agency_id,
        year=activity.year,
        stored_path=str(staged.path),
        original_name=name,
        mime_type=(mime_type or "")[:100],
        size=staged.size,
        sha256=staged.sha256,
        uploaded_by=actor.key,
        uploaded_at=now,
    )
    try:
        with session.begin_nested():  # a savepoint: the caller's transaction stays usable
            session.add(row)
            session.flush()
    except IntegrityError:  # the same content recorded at the same moment elsewhere
        raise Refused("guidance.duplicate_file_now", name=name) from None
    activities.audit_change(session, actor, on_behalf, ATTACH, activity, now, name)
    return row


def attach_file(
    engine: Engine,
    activity_id: int,
    source: Path,
    original_name: str,
    mime_type: str,
    actor: Actor,
    settings: Settings,
) -> EvidenceFile:
    """Stage, record and commit one file (the CLI and imports); on any failure the staged
    file is removed."""
    with transaction(engine) as session:
        row = attach_upload(
            session,
            activity_id,
            source,
            original_name,
            mime_type,
            actor,
            settings,
        )
        session.expunge(row)
    return row


def attach_upload(
    session: Session,
    activity_id: int,
    source: Path,
    original_name: str,
    mime_type: str,
    actor: Actor,
    settings: Settings,
) -> EvidenceFile:
    """Stage an upload, record it and commit
    the session, in this one call: when any step fails the staged file is removed, and a
    committed row always keeps its file (no await sits between them to be cancelled)."""
    activity = activities.find_activity(session, activity_id)
    with staging() as staged:
        staged.append(
            stage(
                source,
                original_name,
                mime_type,
                activity.agency_id,
                activity.year,
                settings,
            )
        )
        row = add_evidence(
            session, activity_id, staged[0], original_name, mime_type, actor, settings
        )
        session.commit()
    return row


def hand_in_upload(
    session: Session,
    agency_id: int,
    year: int,
    kind: str,
    source: Path,
    original_name: str,
    mime_type: str,
    actor: Actor,
    settings: Settings,
) -> SubmittedDocument:
    """Stage a browser's upload as one of the agency's documents of `year`, record it
    (`contacts.hand_in`) and commit the session, in this one call, as `attach_upload`."""
    with staging() as staged:
        staged.append(
            stage(
                source,
                original_name,
                mime_type,
                agency_id,
                year,
                settings,
                into=contacts.documents_folder(settings, agency_id, year),
            )
        )
        kept = contacts.StoredFile(
            staged[0].path, original_name, mime_type, staged[0].size, staged[0].sha256
        )
        row = contacts.hand_in(session, agency_id, year, kind, kept, actor)
        session.commit()
    return row


def find_file(session: Session, file_id: int) -> EvidenceFile:
    found = session.get(EvidenceFile, file_id)
    if found is None:
        raise NotFound("guidance.file_not_found", file=file_id)
    return found


def remove_evidence(
    session: Session,
    file_id: int,
    actor: Actor,
    settings: Settings,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> str:
    """Delete a file's row (audited); returns its path for the caller to remove after
    the commit."""
    row = find_file(session, file_id)
    activity = activities.find_activity(session, row.activity_id)
    on_behalf = activities.recorder_on_behalf(session, actor, row.agency_id, settings)
    activities.check_open(session, row.agency_id, row.year)
    why = activities.parse_text("reason", reason, 200)
    activities.audit_change(
        session, actor, on_behalf, DETACH, activity, now or utcnow(), row.original_name, why
    )
    session.delete(row)
    session.flush()
    return row.stored_path


def files_of(
    session: Session, agency_id: int, year: int, *, activity_id: int | None = None
) -> list[EvidenceFile]:
    """The agency's evidence files of `year` (or of one activity), in upload order."""
    query = select(EvidenceFile).where(
        EvidenceFile.agency_id == agency_id, EvidenceFile.year == year
    )
    if activity_id is not None:
        query = query.where(EvidenceFile.activity_id == activity_id)
    return list(session.exec(query.order_by(col(EvidenceFile.id))).all())
