"""`/weblink`: a one-time sign-in link for the web pages, asked for in the chat.

An admin or expert gets a staff link, a bound agency contact a link for their
agency (`workflow.access.weblogins.issue_login`, the same function as `safecomm web
login-link`); anybody else a refusal. In a private chat only (`app.private_only`): a link in a group
would let anybody in the group sign in as the person who asked.
"""

from __future__ import annotations

import logging

from sqlmodel import Session
from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from bot.telegram.admin import BotApplication
from bot.telegram.blocking import in_thread
from bot.telegram.context import settings_of, texts
from workflow.access.actors import Actor
from workflow.access.roles import role_of
from workflow.access.weblogins import issue_login, login_link
from workflow.reminders.contacts import contact_of

logger = logging.getLogger(__name__)


async def weblink(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the person's link, or say why there is none."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    local = texts(context)
    settings = settings_of(context)
    actor = Actor.telegram(user.id, user.full_name)

    def issue(session: Session) -> str | None:
        if role_of(session, actor, settings) is not None:
            return issue_login(
                session,
                "staff",
                actor_key=actor.key,
                label=user.full_name,
                issued_by=actor,
                settings=settings,
            )
        contact = contact_of(session, user.id)
        if contact is None:
            return None
        return issue_login(
            session,
            "agency",
            actor_key=actor.key,
            label=contact.display_name or user.full_name,
            issued_by=actor,
            settings=settings,
            agency_id=contact.agency_id,
        )

    token = await in_thread(context, issue)
    if token is None:
        logger.info("refused /weblink from %s", actor.key)
        await message.reply_text(local.text("weblink.refused"))
        return
    url = login_link(token, settings.public_url)
    await message.reply_text(
        local.text("weblink.link", url=url, hours=settings.web_link_hours),
        disable_web_page_preview=True,
    )


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("weblink", weblink))
