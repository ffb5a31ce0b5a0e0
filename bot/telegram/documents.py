"""What an agency contact hands in as the year's documents (RULES, annual assessment):
the annual report (4.3), training evidence (4.1), the risk-identification and project
report (4.2), other evidence. A file is downloaded, stored under
`upload_dir/<year>/<agency id>/` and recorded only once its kind is chosen; the
receipt's buttons record it as another kind. Used by the agency chat (a caption
"报告") and by the file choice of `bot.telegram.recording`.
"""

from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.blocking import DatabaseUnavailable
from bot.telegram.blocking import in_thread
from bot.telegram.context import settings_of, texts
from bot.telegram.presses import answer_press
from bot.texts import LocalCatalogue
from workflow.community.campaigns import current_campaign_year
from workflow.core.clock import utcnow
from workflow.core.db import as_row_id
from workflow.core.errors import DomainError
from workflow.core.settings import Settings
from workflow.guidance import drafts
from workflow.reminders import contacts
from workflow.reminders.models import SubmittedDocument
from workflow.reminders.plan import EVIDENCE, FILE_KINDS, REPORT

logger = logging.getLogger(__name__)

CALLBACK = re.compile(
    r"^agdoc:(?P<document>[1-9]\d{0,9}):(?P<kind>report|training_evidence|risk_report|evidence)$"
)


def file_kind_label(kind: str, catalogue: LocalCatalogue) -> str:
    """What a handed-in file is (`FILE_KINDS`), as the contact chose it."""
    return catalogue.text(f"recording.choice.{kind}")


async def store_document(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    user_id: int,
    held: drafts.PendingFile,
    kind: str,
    *,
    clear_draft: str | None = None,
) -> None:
    """Download a file and record it as one of the agency's year's documents (`kind`);
    `clear_draft`: the draft that held it goes in the same transaction (if it still holds
    this file: not one the contact began meanwhile)."""
    settings, catalogue = settings_of(context), texts(context)
    now = utcnow()

    def where(session: Session) -> tuple[int, int] | None:
        contact = contacts.contact_of(session, user_id)
        if contact is None:
            return None
        return contact.agency_id, current_campaign_year(session, now, settings)

    place = await in_thread(context, where, read_only=True)
    if place is None:
        await context.bot.send_message(chat_id, catalogue.text("agency.not_contact_upload"))
        return
    agency_id, year = place
    extension = Path(held.name).suffix.lower().lstrip(".") or "jpg"
    folder = contacts.documents_folder(settings, agency_id, year)
    path = folder / f"{kind}-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}.{extension}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        telegram_file = await context.bot.get_file(held.file_id)
        await telegram_file.download_to_drive(path)
        stored_size = path.stat().st_size
        contacts.check_size(stored_size, settings)
        contacts.check_content(path, extension)  # a program renamed to .pdf stays out
        row = SubmittedDocument(
            agency_id=agency_id,
            year=year,
            kind=kind,
            stored_path=str(path),
            original_name=held.name[:255],
            mime_type=held.mime[:100],
            size=stored_size,
            file_unique_id=held.unique_id[:100],
            telegram_user_id=user_id,
            submitted_by=f"tg:{user_id}",
            submitted_at=now,
        )

        def record(session: Session) -> tuple[SubmittedDocument, dict[str, int]]:
            document = contacts.record_document(session, row)
            if clear_draft is not None:
                drafts.clear(session, clear_draft, holding=held.file_id)
            return document, contacts.document_counts(session, agency_id, year)

        document, counts = await in_thread(context, record)
    except DatabaseUnavailable:
        path.unlink(missing_ok=True)  # no row, no file
        raise
    except DomainError as refusal:
        path.unlink(missing_ok=True)
        await context.bot.send_message(chat_id, refusal.message(settings.language))
        return
    except IntegrityError:
        path.unlink(missing_ok=True)
        await context.bot.send_message(
            chat_id, catalogue.text("agency.upload_duplicate", year=year)
        )
        return
    except (TelegramError, OSError) as error:
        path.unlink(missing_ok=True)
        logger.warning("agency %s: upload failed: %s", agency_id, type(error).__name__)
        await context.bot.send_message(chat_id, catalogue.text("agency.upload_failed"))
        return
    logger.info("agency %s: %s recorded for %s", agency_id, kind, year)
    await context.bot.send_message(
        chat_id,
        catalogue.text(
            "agency.upload_saved",
            name=held.name,
            year=year,
            kind=file_kind_label(kind, catalogue),
            reports=counts[REPORT],
            evidence=counts[EVIDENCE],
        ),
        reply_markup=switch_buttons(document, catalogue),
    )


def checked_file(message: Message, settings: Settings) -> drafts.PendingFile:
    """The Telegram file of an acceptable upload (type and declared size checked)."""
    if message.document is not None:
        document = message.document
        name, mime = document.file_name or "", document.mime_type or ""
        contacts.check_upload(name, mime, document.file_size, settings)
        return drafts.PendingFile(
            document.file_id, document.file_unique_id, name, mime, document.file_size
        )
    photo = message.photo[-1]  # the largest size Telegram made
    contacts.check_size(photo.file_size, settings)
    name = f"photo-{message.message_id}.jpg"
    return drafts.PendingFile(
        photo.file_id, photo.file_unique_id, name, "image/jpeg", photo.file_size
    )


def switch_buttons(document: SubmittedDocument, catalogue: LocalCatalogue) -> InlineKeyboardMarkup:
    """The buttons that record the document as another kind."""
    rows = []
    for other in FILE_KINDS:
        if other == document.kind:
            continue
        data = f"agdoc:{document.id}:{other}"
        assert len(data.encode()) <= 64, "callback data above Telegram's 64 bytes"
        label = catalogue.text("agency.upload_switch_to", kind=file_kind_label(other, catalogue))
        rows.append([InlineKeyboardButton(label, callback_data=data)])
    return InlineKeyboardMarkup(rows)


async def switch_kind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The receipt's buttons: record the document as another kind instead."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    match = CALLBACK.match(query.data)
    document_id = as_row_id(match["document"]) if match else None
    if match is None or document_id is None:  # forged, or beyond any row id
        await answer_press(query, texts(context).text("button.expired"), show_alert=True)
        return
    kind, user_id = match["kind"], query.from_user.id
    try:
        document = await in_thread(
            context, lambda session: contacts.change_kind(session, document_id, kind, user_id)
        )
    except DomainError as refusal:
        await answer_press(query, refusal.message(settings_of(context).language), show_alert=True)
        return
    await answer_press(query)
    text = texts(context).text(
        "agency.upload_switched",
        kind=file_kind_label(document.kind, texts(context)),
        name=document.original_name,
    )
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=switch_buttons(document, texts(context)))
