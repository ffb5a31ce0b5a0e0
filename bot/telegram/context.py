"""What handlers take from the application: settings, engine, message catalogue."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy.engine import Engine
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CallbackContext, ContextTypes

from bot.texts import LocalCatalogue
from workflow.core.settings import Settings

SETTINGS = "settings"
ENGINE = "engine"
EXECUTOR = "db_executor"  # the worker threads of `bot.telegram.blocking`


def settings_of(context: CallbackContext[Any, Any, Any, Any]) -> Settings:
    settings: Settings = context.bot_data[SETTINGS]
    return settings


def engine_of(context: CallbackContext[Any, Any, Any, Any]) -> Engine:
    engine: Engine = context.bot_data[ENGINE]
    return engine


def texts(context: CallbackContext[Any, Any, Any, Any]) -> LocalCatalogue:
    return LocalCatalogue(settings_of(context).language)


ChatHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def private_only(handler: ChatHandler, key: str = "chat.private_only") -> ChatHandler:
    """Run `handler` only in a private chat; anywhere else answer `key` and nothing more.

    Admin and agency commands show credit codes, reasons, chat ids and sign-in links:
    in a group, everybody in it would read them."""

    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, message, query = (
            update.effective_chat,
            update.effective_message,
            update.callback_query,
        )
        if chat is not None and chat.type == ChatType.PRIVATE:
            await handler(update, context)
            return
        said = texts(context).text(key)
        if query is not None:
            await query.answer(said, show_alert=True)
        elif message is not None:
            await message.reply_text(said)

    return guarded
