"""Agency contacts and what they hand in: link tokens, bound Telegram users, documents.

An admin issues a one-time link token for an agency (`safecomm agency link`);
the contact opens `t.me/<bot>?start=<token>` and is bound to that agency from
then on (several contacts per agency; one agency per Telegram user, until an
admin unbinds them). Contacts hand in the year's annual report and evidence
as documents or photos: each stored file is one `SubmittedDocument` row, recorded
for the campaign it is handed in for, not the calendar year of the upload.
"""

from __future__ import annotations

import secrets
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workflow.access.actors import AGENCY_KEY, TELEGRAM_KEY, Actor
from workflow.community.campaigns import current_campaign_year
from workflow.core.clock import utcnow
from workflow.core.db import insert_or_skip
from workflow.core.errors import InvalidInput, NotFound, Refused
from workflow.core.settings import Settings
from workflow.guidance.models import EvidenceFile
from workflow.lifecycle.states import REPORTING, State
from workflow.registry.models import Agency
from workflow.reminders.models import AgencyContact, AgencyLinkToken, SubmittedDocument
from workflow.reminders.plan import (
    DOCUMENT_KINDS,
    EVIDENCE,
    FILE_KINDS,
    REPORT,
    AgencyFacts,
    owed_kind,
)

# What an agency may upload: extension → the MIME types Telegram may report for it.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "pdf": ("application/pdf",),
    "doc": ("application/msword",),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
    "xls": ("application/vnd.ms-excel",),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
    "jpg": ("image/jpeg",),
    "jpeg": ("image/jpeg",),
    "png": ("image/png",),
    "zip": ("application/zip", "application/x-zip-compressed"),
}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF",),
    "doc": (_OLE,),
    "xls": (_OLE,),
    "docx": _ZIP,
    "xlsx": _ZIP,
    "jpg": (b"\xff\xd8",),
    "jpeg": (b"\xff\xd8",),
    "png": (b"\x89PNG",),
    "zip": _ZIP,
}
"""How each allowed kind of file begins (its magic bytes): a browser's upload says
whatever its sender wants in its name and type, the content does not lie so easily."""
_OOXML = {"docx", "xlsx"}
"""Zip files that must also be Office Open XML documents (they hold `[Content_Types].xml`)."""
MAX_FILES_PER_CAMPAIGN = 300
"""How many files (documents and evidence together) one agency may hand in per campaign:
enough for any real year, a bound on what one contact can fill the disk with."""
# Telegram sometimes labels any file this way; the extension decides then.
_GENERIC_MIME = {"", "application/octet-stream"}


@dataclass(frozen=True)
class StoredFile:
    """A file already written under `upload_dir`, with what its row records."""

    path: Path
    original_name: str
    mime_type: str
    size: int
    sha256: str


# --- link tokens and binding ---------------------------------------------------------


def issue_link_token(session: Session, agency: Agency, issued_by: str) -> AgencyLinkToken:
    """A new one-time token for the agency (43 URL-safe characters, 256 random bits)."""
    assert agency.id is not None
    link = AgencyLinkToken(
        token=secrets.token_urlsafe(32), agency_id=agency.id, issued_by=issued_by[:100]
    )
    session.add(link)
    session.flush()
    return link


def find_link_token(session: Session, token: str) -> AgencyLinkToken | None:
    return session.exec(select(AgencyLinkToken).where(AgencyLinkToken.token == token)).first()


def bind_contact(
    session: Session,
    link: AgencyLinkToken,
    telegram_user_id: int,
    display_name: str,
    now: datetime | None = None,
) -> tuple[AgencyContact, bool]:
    """Bind the user who opened `link` to its agency; return (contact, newly bound).

    Opening one's own link again is harmless. Refused: a link someone else used,
    or a user already bound to another agency (an admin must unbind them first).
    """
    current = contact_of(session, telegram_user_id)
    if current is not None and current.agency_id != link.agency_id:
        other = session.get(Agency, current.agency_id)
        raise Refused("contacts.bound_elsewhere", agency=other.name if other else "?")
    if link.used_by is None:
        _claim(session, link, telegram_user_id, now or utcnow())
    if link.used_by != telegram_user_id:
        raise Refused("contacts.token_used")
    if current is not None:
        return current, False
    added = session.exec(
        insert_or_skip(session, AgencyContact)
        .values(
            agency_id=link.agency_id,
            telegram_user_id=telegram_user_id,
            display_name=display_name[:100],
            bound_at=now or utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["telegram_user_id"])
        .returning(col(AgencyContact.id))
    ).all()
    contact = contact_of(session, telegram_user_id)
    if not added:  # the same user opened another agency's link at the same moment
        assert contact is not None
        other = session.get(Agency, contact.agency_id)
        raise Refused("contacts.bound_elsewhere", agency=other.name if other else "?")
    assert contact is not None
    return contact, True


def _claim(session: Session, link: AgencyLinkToken, telegram_user_id: int, now: datetime) -> None:
    """Mark `link` used by `telegram_user_id` unless someone has just used it: one
    conditional UPDATE, so of two people opening it at once exactly one gets it (the
    copy read before may be stale); `link` then shows whoever holds it."""
    session.connection().execute(
        update(AgencyLinkToken)
        .where(col(AgencyLinkToken.id) == link.id, col(AgencyLinkToken.used_by).is_(None))
        .values(used_by=telegram_user_id, used_at=now)
    )
    session.refresh(link)


def contact_of(session: Session, telegram_user_id: int) -> AgencyContact | None:
    """The user's binding, if any."""
    return session.exec(
        select(AgencyContact).where(AgencyContact.telegram_user_id == telegram_user_id)
    ).first()


def speaks_for(session: Session, actor: Actor, agency_id: int) -> bool:
    """True when the actor acts as the agency itself: a contact bound to it (`tg:<id>`,
    in the chat or signed in to the web pages) or the agency's own web sign-in
    (`agency:<id>`, a link printed for it)."""
    own = AGENCY_KEY.match(actor.key)
    if own:
        return int(own[1]) == agency_id
    telegram = TELEGRAM_KEY.match(actor.key)
    if telegram:
        contact = contact_of(session, int(telegram[1]))
        return contact is not None and contact.agency_id == agency_id
    return False


def contacts_of(session: Session, agency_id: int) -> list[AgencyContact]:
    return list(
        session.exec(
            select(AgencyContact)
            .where(AgencyContact.agency_id == agency_id)
            .order_by(col(AgencyContact.bound_at), col(AgencyContact.id))
        )
    )


def unbind(session: Session, agency_id: int, telegram_user_id: int) -> None:
    """Remove the user as a contact of the agency (their reminders stop with the next tick)."""
    contact = contact_of(session, telegram_user_id)
    if contact is None or contact.agency_id != agency_id:
        raise NotFound("contacts.not_bound", user=telegram_user_id)
    session.delete(contact)
    session.flush()


# --- documents -------------------------------------------------------------------------


def check_upload(file_name: str, mime_type: str, size: int | None, settings: Settings) -> str:
    """The file's extension if an agency may upload it; refuse a wrong type or a too-large file."""
    extension = PurePath(file_name).suffix.lower().lstrip(".")
    mime = (mime_type or "").lower()
    allowed = ", ".join(sorted(ALLOWED_TYPES))
    if extension not in ALLOWED_TYPES or (
        mime not in _GENERIC_MIME and mime not in ALLOWED_TYPES[extension]
    ):
        raise InvalidInput("contacts.upload_type", allowed=allowed)
    check_size(size, settings)
    return extension


def documents_folder(settings: Settings, agency_id: int, year: int) -> Path:
    """Where an agency's Art. 15 documents of a campaign are kept (chat and web)."""
    return Path(settings.upload_dir) / str(year) / str(agency_id)


def check_content(path: Path, extension: str) -> None:
    """Refuse a file whose first bytes are not those of its extension's kind (a program
    renamed to .jpg, a web page saved as .pdf, any zip renamed to .docx)."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head or not head.startswith(SIGNATURES.get(extension, (b"\x00\x00",))):
        raise InvalidInput("contacts.upload_content", extension=extension)
    if extension in _OOXML and not _is_ooxml(path):
        raise InvalidInput("contacts.upload_content", extension=extension)


def _is_ooxml(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "[Content_Types].xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def check_may_hand_in(session: Session, agency_id: int, year: int) -> None:
    """Refuse a file from a withdrawn agency, or one above `MAX_FILES_PER_CAMPAIGN` for the
    agency's campaign (documents and evidence files counted together); call it in the
    transaction that records the file."""
    # the agency's row lock serialises two hand-ins of one agency, so their counts cannot
    # both see room for one more (PostgreSQL; SQLite writers are serialised anyway)
    agency = session.get(Agency, agency_id, with_for_update=True)
    if agency is None or agency.status == State.WITHDRAWN:
        raise Refused("contacts.agency_withdrawn")
    held = sum(
        session.exec(
            select(func.count())
            .select_from(table)
            .where(col(table.agency_id) == agency_id, col(table.year) == year)
        ).one()
        for table in (SubmittedDocument, EvidenceFile)
    )
    if held >= MAX_FILES_PER_CAMPAIGN:
        raise Refused("contacts.too_many_files", limit=MAX_FILES_PER_CAMPAIGN, year=year)


def hand_in(
    session: Session,
    agency_id: int,
    year: int,
    kind: str,
    stored: StoredFile,
    actor: Actor,
    *,
    now: datetime | None = None,
) -> SubmittedDocument:
    """Record a stored file as one of the agency's documents of `year`, handed in by the
    agency itself (a bound contact or its web sign-in; anybody else is refused); the same
    content twice for a year is refused, also when both arrive at once. Flushed, not
    committed."""
    if not speaks_for(session, actor, agency_id):
        raise Refused("contacts.not_own_agency")
    if kind not in FILE_KINDS:
        raise InvalidInput("contacts.document_kind", kind=kind)
    unique = f"sha256:{stored.sha256}"
    if already_submitted(session, agency_id, year, unique):
        raise Refused("contacts.already_handed_in", name=stored.original_name, year=year)
    telegram = TELEGRAM_KEY.match(actor.key)
    document = SubmittedDocument(
        agency_id=agency_id,
        year=year,
        kind=kind,
        stored_path=str(stored.path),
        original_name=stored.original_name[:255],
        mime_type=stored.mime_type[:100],
        size=stored.size,
        file_unique_id=unique,
        telegram_user_id=int(telegram[1]) if telegram else None,
        submitted_by=actor.key,
        submitted_at=now or utcnow(),
    )
    try:
        with session.begin_nested():  # a savepoint: the caller's transaction stays usable
            return record_document(session, document)
    except IntegrityError:  # the same content handed in at the same moment elsewhere
        raise Refused("contacts.already_handed_in", name=stored.original_name, year=year) from None


def documents_of(session: Session, agency_id: int, year: int) -> list[SubmittedDocument]:
    """The documents the agency handed in for `year`, in the order they came."""
    return list(
        session.exec(
            select(SubmittedDocument)
            .where(SubmittedDocument.agency_id == agency_id, SubmittedDocument.year == year)
            .order_by(col(SubmittedDocument.id))
        ).all()
    )


def check_size(size: int | None, settings: Settings) -> None:
    """Refuse a file above `upload_max_mb` (an unknown size is checked after download)."""
    if size is not None and size > settings.upload_max_mb * 1024 * 1024:
        raise InvalidInput(
            "contacts.upload_too_large",
            size_mb=f"{size / 1024 / 1024:.1f}",
            max_mb=settings.upload_max_mb,
        )


def document_kind(caption: str | None) -> str:
    """`report` when the caption says so (报告 / report), evidence otherwise."""
    words = (caption or "").strip().lower()
    return (
        REPORT if words in {"报告", "年度报告", "工作报告", "年度工作报告", "report"} else EVIDENCE
    )


def upload_year(
    session: Session, agency_id: int, file_unique_id: str, now: datetime, settings: Settings
) -> tuple[int, bool]:
    """The campaign an upload at `now` is handed in for (`current_campaign_year`: on
    10 January, last year's while its window is open), and whether this very file is
    already recorded for it."""
    year = current_campaign_year(session, now, settings)
    return year, already_submitted(session, agency_id, year, file_unique_id)


def already_submitted(session: Session, agency_id: int, year: int, file_unique_id: str) -> bool:
    """True if this very file (Telegram's unique id) is already recorded for the agency and year."""
    return (
        session.exec(
            select(SubmittedDocument.id).where(
                SubmittedDocument.agency_id == agency_id,
                SubmittedDocument.year == year,
                SubmittedDocument.file_unique_id == file_unique_id,
            )
        ).first()
        is not None
    )


def record_document(session: Session, document: SubmittedDocument) -> SubmittedDocument:
    """Record a stored file (its content checked: `check_content`) against its agency and
    year, the chat's and the web's hand-in alike: refused once the agency takes no files."""
    if document.kind not in FILE_KINDS:
        raise InvalidInput("contacts.document_kind", kind=document.kind)
    check_may_hand_in(session, document.agency_id, document.year)
    session.add(document)
    session.flush()
    return document


def change_kind(
    session: Session, document_id: int, kind: str, telegram_user_id: int
) -> SubmittedDocument:
    """Reclassify a document (any of `FILE_KINDS`); only a contact of its agency may."""
    document = session.get(SubmittedDocument, document_id)
    contact = contact_of(session, telegram_user_id)
    if document is None or contact is None or contact.agency_id != document.agency_id:
        raise NotFound("contacts.document_unknown")
    if kind not in FILE_KINDS:
        raise InvalidInput("contacts.document_kind", kind=kind)
    document.kind = kind
    session.add(document)
    session.flush()
    return document


def file_counts(session: Session, agency_id: int, year: int) -> dict[str, int]:
    """How many documents of each of `FILE_KINDS` the agency handed in for `year`."""
    found = dict(
        session.exec(
            select(SubmittedDocument.kind, func.count())
            .where(SubmittedDocument.agency_id == agency_id, SubmittedDocument.year == year)
            .group_by(col(SubmittedDocument.kind))
        ).all()
    )
    return {kind: int(found.get(kind, 0)) for kind in FILE_KINDS}


def document_counts(session: Session, agency_id: int, year: int) -> dict[str, int]:
    """How many documents the agency handed in for `year`, per owed kind (report, evidence
    of any kind)."""
    counts = dict.fromkeys(DOCUMENT_KINDS, 0)
    for kind, count in file_counts(session, agency_id, year).items():
        counts[owed_kind(kind)] += count
    return counts


def missing_documents(session: Session, agency_id: int, year: int) -> tuple[str, ...]:
    """Which of report / evidence the agency has not handed in for `year`."""
    counts = document_counts(session, agency_id, year)
    return tuple(kind for kind in DOCUMENT_KINDS if counts[kind] == 0)


def agency_facts(session: Session, year: int) -> list[AgencyFacts]:
    """Every agency that owes the year's report, with its bound chats and what is missing."""
    agencies = session.exec(
        select(Agency).where(col(Agency.status).in_(REPORTING)).order_by(col(Agency.id))
    ).all()
    chats: dict[int, list[int]] = {}
    for contact in session.exec(select(AgencyContact).order_by(col(AgencyContact.id))):
        chats.setdefault(contact.agency_id, []).append(contact.telegram_user_id)
    handed_in: dict[int, set[str]] = {}
    for agency_id, kind in session.exec(
        select(SubmittedDocument.agency_id, SubmittedDocument.kind)
        .where(SubmittedDocument.year == year)
        .distinct()
    ):
        handed_in.setdefault(agency_id, set()).add(owed_kind(kind))
    facts = []
    for agency in agencies:
        assert agency.id is not None
        have = handed_in.get(agency.id, set())
        facts.append(
            AgencyFacts(
                agency_id=agency.id,
                name=agency.name,
                chat_ids=tuple(chats.get(agency.id, ())),
                missing=tuple(kind for kind in DOCUMENT_KINDS if kind not in have),
            )
        )
    return facts
