"""The questionnaire in the chat: community staff rate the agency that guided them.

Flow: `/start <token>` (from the invitation link or QR code) → who is rated
and by when → five questions, one at a time, each with buttons 0–4 and
"back" → a review screen with a button to change each answer → submit → a
receipt code. Every tap goes straight to `surveys.answering`, which keeps the
survey's state in the database; these handlers only translate taps into
`Press`es and surveys into messages.

Buttons carry `sv:<invitation id>:<action>[:<item>[:<points>]]` (at most 26
bytes). A press that no longer fits the survey (an old message, a repeated
tap) is answered with a short notice and the current step is shown again; it
never changes an answer.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.telegram.blocking import in_thread
from bot.telegram.context import settings_of, texts
from bot.telegram.presses import answer_press
from bot.telegram.rendering import CALLBACK_PREFIX, parse_press, question_screen, review_screen
from bot.telegram.start import add_bare_start, add_deep_link
from surveys import answering
from surveys.answering import Survey
from surveys.errors import NotFound, survey_texts
from surveys.respondents import Respondent
from workflow.core.clock import local_text
from workflow.core.errors import DomainError

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# What a survey looks like in the chat
# ---------------------------------------------------------------------------


def _params(survey: Survey, context: ContextTypes.DEFAULT_TYPE) -> dict[str, object]:
    settings = settings_of(context)
    return {
        "unit": survey.unit,
        "agency": survey.agency,
        "year": survey.year,
        "closes": survey.closes.isoformat(),
        "receipt": survey.receipt or "",
        "submitted_at": local_text(survey.submitted_at, settings.zone),
        "confidential": survey_texts.text("survey.confidential", settings.language),
    }


def render(
    survey: Survey, context: ContextTypes.DEFAULT_TYPE
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of the survey's current step."""
    t, language = texts(context), settings_of(context).language
    if survey.question is not None:
        return question_screen(survey, survey.question, t, language)
    if survey.reviewing:
        return review_screen(survey, t, language)
    return t.text("survey.done", **_params(survey, context)), None


async def show_new(chat_id: int, survey: Survey, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the current step as a new message; presses on older messages become stale."""
    text, markup = render(survey, context)
    sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
    await in_thread(
        context,
        lambda session: answering.record_message(session, survey.invitation_id, sent.message_id),
    )


async def show_in_place(
    message: Message, survey: Survey, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """Replace the pressed message with the current step."""
    text, markup = render(survey, context)
    try:
        await message.edit_text(text, reply_markup=markup)
    except BadRequest as error:  # the same step shown again: Telegram says "not modified"
        if "not modified" not in error.message.lower():
            raise


# ---------------------------------------------------------------------------
# Handlers
# ---------------------------------------------------------------------------


async def open_from_link(update: Update, context: ContextTypes.DEFAULT_TYPE, token: str) -> bool:
    """`/start <token>`: open the invitation; False when the token is not a survey's."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return False
    settings = settings_of(context)
    try:
        opened = await in_thread(
            context,
            lambda session: answering.open_survey(
                session, token, Respondent.telegram(user.id), settings
            ),
        )
    except NotFound:
        return False
    except DomainError as refusal:
        await message.reply_text(refusal.message(settings_of(context).language))
        return True
    survey = opened.survey
    greeting = texts(context).text("survey.intro", **_params(survey, context))
    if survey.receipt:
        greeting += "\n\n" + texts(context).text("survey.reopened", **_params(survey, context))
    await message.reply_text(greeting)
    await show_new(message.chat_id, survey, context)
    return True


async def press_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A survey button: apply it (or find it stale), answer the query, show the step."""
    query = update.callback_query
    if query is None:
        return
    press = parse_press(query.data)
    if press is None:
        await answer_press(query, texts(context).text("survey.bad_button"))
        return
    message_id = query.message.message_id if query.message else None
    settings, user_id = settings_of(context), query.from_user.id
    try:
        pressed = await in_thread(
            context,
            lambda session: answering.press(
                session, press, Respondent.telegram(user_id), settings, message_id
            ),
        )
    except DomainError as refusal:
        reason = refusal.message(settings_of(context).language)
        await answer_press(query, reason, show_alert=True)
        if refusal.key in answering.CLOSING_REFUSALS and isinstance(query.message, Message):
            await query.message.edit_text(reason)
        return
    survey = pressed.survey
    await answer_press(query, None if pressed.accepted else texts(context).text("survey.stale"))
    shown = query.message if isinstance(query.message, Message) else None
    if pressed.receipt and shown is not None:
        await shown.edit_text(texts(context).text("survey.submitted", **_params(survey, context)))
    elif shown is not None and answering.is_current(shown.message_id, survey.message_id):
        await show_in_place(shown, survey, context)
    else:
        await show_new(query.from_user.id, survey, context)


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A message that no handler took, from someone in the middle of a survey: show
    where they are (False when they have no survey open)."""
    return await show_where_they_are(update, context, hint="survey.use_buttons")


async def resume_on_bare_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A bare `/start` from someone with an unfinished survey: continue it."""
    return await show_where_they_are(update, context, hint=None)


async def show_where_they_are(
    update: Update, context: ContextTypes.DEFAULT_TYPE, hint: str | None
) -> bool:
    """Show the user's current survey step (after `hint`, if any); False without one."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return False
    settings = settings_of(context)
    try:
        survey = await in_thread(
            context,
            lambda session: answering.resume_point(session, user.id, settings),
            read_only=True,
        )
    except DomainError as refusal:
        await message.reply_text(refusal.message(settings_of(context).language))
        return True
    if survey is None:
        return False
    if hint is not None:
        await message.reply_text(texts(context).text(hint))
    await show_new(message.chat_id, survey, context)
    return True


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add this topic's handlers to the application."""
    add_deep_link(app, open_from_link)
    add_bare_start(app, resume_on_bare_start)
    app.add_handler(CallbackQueryHandler(press_button, pattern=f"^{CALLBACK_PREFIX}"))
    # other messages from someone in a survey: the application's catch-all calls `resume`
