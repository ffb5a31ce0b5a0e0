"""The agency contact's chat: binding by deep link, `/status`, handing in documents.

- `/start <agency token>` (from `safecomm agency link AGENCY`) binds the Telegram
  user as a contact of that agency; they receive its reminders from then on.
- `/status` shows the agency's lifecycle state, the current campaign's dates, what
  is handed in and what is missing, how many guided units answered the
  questionnaire, and the Art. 11 shortfalls per unit, with the /record button.
- A document (pdf, doc/docx, xls/xlsx, jpg/png, zip) or photo from a contact is
  evidence of the activity being recorded (`bot.telegram.recording`), or, with no
  flow open, held until the contact chooses what it is (`bot.telegram.documents`;
  a caption "报告"/"report" chooses the annual report at once), for the campaign it
  is handed in for (in January, last year's while its window is still open).
Every refusal (not a contact, wrong type, too large, another agency's link)
gets its own reply and stores nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.telegram import documents, recording
from bot.telegram.blocking import in_thread
from bot.telegram.context import settings_of, texts
from bot.telegram.start import add_deep_link
from bot.texts import LocalCatalogue
from surveys.coverage import Status, by_agency, coverage
from workflow.community.campaigns import DATE_FIELDS, campaign_or_default, current_campaign_year
from workflow.core.clock import local_date, utcnow
from workflow.core.errors import DomainError
from workflow.core.settings import Settings
from workflow.guidance import drafts
from workflow.lifecycle.states import REPORTING, state_label
from workflow.registry.models import Agency
from workflow.reminders import contacts
from workflow.reminders.plan import DOCUMENT_KINDS, REPORT

logger = logging.getLogger(__name__)


# --- binding -------------------------------------------------------------------------


async def open_agency_link(update: Update, context: ContextTypes.DEFAULT_TYPE, token: str) -> bool:
    """`/start <token>`: bind the user to the token's agency; False if it is not an agency token."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return False

    def bind(session: Session) -> tuple[int, str, bool] | None:
        link = contacts.find_link_token(session, token)
        if link is None:
            return None
        _, new = contacts.bind_contact(session, link, user.id, user.full_name)
        agency = session.get(Agency, link.agency_id)
        return link.agency_id, agency.name if agency else "?", new

    try:
        bound = await in_thread(context, bind)
    except DomainError as refusal:
        await message.reply_text(refusal.message(settings_of(context).language))
        return True
    if bound is None:
        return False
    agency_id, name, new = bound
    logger.info("agency %s: contact bound (new=%s)", agency_id, new)
    key = "agency.bound" if new else "agency.already_bound"
    await message.reply_text(texts(context).text(key, name=user.full_name, agency=name))
    return True


# --- /status -------------------------------------------------------------------------


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/status`: the agency's state, the campaign's dates, what is handed in and what is missing."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if context.args:
        await message.reply_text(texts(context).text("agency.status_usage"))
        return
    settings, catalogue = settings_of(context), texts(context)

    def look(session: Session) -> tuple[str, bool]:
        contact = contacts.contact_of(session, user.id)
        agency = session.get(Agency, contact.agency_id) if contact else None
        if agency is None:
            return catalogue.text("agency.not_contact"), False
        return status_text(session, agency, settings, catalogue), True

    text, bound = await in_thread(context, look, read_only=True)
    keyboard = recording.status_keyboard(catalogue) if bound else None
    await message.reply_text(text, reply_markup=keyboard)


def status_text(
    session: Session,
    agency: Agency,
    settings: Settings,
    catalogue: LocalCatalogue,
    now: datetime | None = None,
) -> str:
    """The `/status` answer for `agency` in the current campaign (`current_campaign_year`)."""
    assert agency.id is not None
    year = current_campaign_year(session, now or utcnow(), settings)
    campaign = campaign_or_default(session, year, settings)
    counts = contacts.document_counts(session, agency.id, year)
    survey = next(
        (row for row in by_agency(coverage(session, year)) if row.agency_id == agency.id), None
    )
    lines = [
        catalogue.text(
            "agency.status_head",
            agency=agency.name,
            state=state_label(agency.status, settings.language),
        ),
        catalogue.text(
            "agency.status_campaign",
            year=year,
            **{name: getattr(campaign, name).isoformat() for name in DATE_FIELDS},
        ),
    ]
    for kind in DOCUMENT_KINDS:
        state = (
            catalogue.text("agency.status_submitted", count=counts[kind])
            if counts[kind]
            else catalogue.text("agency.status_missing")
        )
        lines.append(
            catalogue.text("agency.status_document", kind=kind_label(kind, catalogue), state=state)
        )
    if survey is None:
        lines.append(catalogue.text("agency.status_survey_none"))
    else:
        lines.append(
            catalogue.text(
                "agency.status_survey",
                submitted=survey.counts[Status.SUBMITTED],
                guided=survey.guided,
            )
        )
    assert agency.id is not None
    today = local_date(now or utcnow(), settings.zone)
    lines += recording.shortfall_lines(session, agency.id, year, settings, catalogue, today)
    missing = [kind_label(kind, catalogue) for kind in DOCUMENT_KINDS if not counts[kind]]
    if agency.status not in REPORTING:
        lines.append(catalogue.text("agency.status_not_reporting"))
    elif missing:
        separator = catalogue.text("reminder.separator")
        lines.append(catalogue.text("agency.status_still_missing", missing=separator.join(missing)))
    else:
        lines.append(catalogue.text("agency.status_complete"))
    lines.append(how_to_hand_in(catalogue, settings))
    return "\n".join(lines)


def kind_label(kind: str, catalogue: LocalCatalogue) -> str:
    return catalogue.text(f"agency.kind.{kind}")


def how_to_hand_in(catalogue: LocalCatalogue, settings: Settings) -> str:
    allowed = ", ".join(sorted(contacts.ALLOWED_TYPES))
    return catalogue.text("agency.status_how", allowed=allowed, max_mb=settings.upload_max_mb)


# --- documents and photos --------------------------------------------------------------


async def receive_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A document or photo from a contact: checked, then attached to the activity being
    recorded, or (no flow open) held until the contact chooses what it is — or refused."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    settings, catalogue = settings_of(context), texts(context)
    recorder = recording.actor_of(user.id, "").key
    found = await in_thread(
        context,
        lambda session: (contacts.contact_of(session, user.id), drafts.draft_of(session, recorder)),
        read_only=True,
    )
    contact, draft = found
    if contact is None:
        await message.reply_text(catalogue.text("agency.not_contact_upload"))
        return
    try:
        held = documents.checked_file(message, settings)
    except DomainError as refusal:
        await message.reply_text(refusal.message(settings.language))
        return
    if draft is not None and draft.step == drafts.FILES:
        actor = recording.actor_of(user.id, user.full_name)
        await recording.attach(context, message.chat_id, actor, held)
        return
    if draft is not None and draft.step != drafts.CHOICE:
        await message.reply_text(catalogue.text("recording.finish_first"))
        await recording.show_current(context, message.chat_id, recorder)
        return
    waiting = drafts.pending_file(draft) if draft is not None else None
    if waiting is not None:  # one file waits for its kind: never replaced unseen
        await message.reply_text(catalogue.text("recording.choose_first", name=waiting.name))
        await recording.show_current(context, message.chat_id, recorder)
        return
    now = utcnow()
    year, duplicate = await in_thread(
        context,
        lambda session: contacts.upload_year(
            session, contact.agency_id, held.unique_id, now, settings
        ),
        read_only=True,
    )
    if duplicate:
        await message.reply_text(catalogue.text("agency.upload_duplicate", year=year))
        return
    if contacts.document_kind(message.caption) == REPORT:  # the caption chose already
        await documents.store_document(context, message.chat_id, user.id, held, REPORT)
        return

    def hold(session: Session) -> recording.Screen:
        waiting = drafts.start(
            session, recorder, contact.agency_id, year, step=drafts.CHOICE, pending=held
        )
        return recording.screen(session, waiting, catalogue)

    shown = await in_thread(context, hold)
    await recording.show_new(context, message.chat_id, recorder, shown)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add this topic's handlers to the application."""
    add_deep_link(app, open_agency_link)
    app.add_handler(CommandHandler("status", status))
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & (filters.Document.ALL | filters.PHOTO), receive_document
        )
    )
    app.add_handler(CallbackQueryHandler(documents.switch_kind, pattern=r"^agdoc:"))
