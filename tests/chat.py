"""The whole bot, offline: people send text, files and button presses; tests read the chats.

One harness for every chat test. It drives the real application through PTB's
own seams (`bot.demo.offline.RecordingRequest` for the Bot API, `UpdateFactory` for
updates, `Application.process_update`) and records every handler error, so a
test fails when any handler fails, even where the bot's own error handler
already apologised to the user. While the bot handles an update, `LoopGuard`
fails every SQL statement run on the event loop's thread: the bot must do its
database work in worker threads (`bot.telegram.blocking`).

    async with OfflineChat(settings, engine) as chat:
        await chat.send(user, "/start <token>")
        await chat.tap_label(user, "4 分")
        assert "…" in chat.last_text(user)
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from telegram import Update
from telegram.ext import ContextTypes

from bot.demo.offline import OFFLINE_TOKEN, Call, RecordingRequest, UpdateFactory
from bot.telegram.app import BotApplication, build_application
from workflow.core.settings import Settings


class LoopGuard:
    """While armed, any statement or commit on the arming thread (the event loop's) fails
    and is recorded: handlers, jobs and the sender must run SQL in worker threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.loop_thread: int | None = None
        self.depth = 0  # updates in flight (tests may process several at once)
        self.on_loop: list[str] = []
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    @contextmanager
    def armed(self) -> Iterator[None]:
        self.loop_thread, self.depth = threading.get_ident(), self.depth + 1
        try:
            yield
        finally:
            self.depth -= 1
            if self.depth == 0:
                self.loop_thread = None

    def _check(self, what: str) -> None:
        if self.loop_thread is not None and threading.get_ident() == self.loop_thread:
            self.on_loop.append(what)
            raise AssertionError(f"SQL on the event loop's thread: {what}")

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self._check(statement)

    def _commit(self, _conn: Any) -> None:
        self._check("COMMIT")

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)


class OfflineChat:
    """One offline bot on `engine`, the updates people send it and what it answered."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.request = RecordingRequest()
        self.app: BotApplication = build_application(
            settings, engine, token=OFFLINE_TOKEN, request=self.request, rate_limiter=False
        )
        self.updates = UpdateFactory(self.app)
        self.errors: list[BaseException] = []
        self.app.add_error_handler(self._record_error)
        self.guard = LoopGuard(engine)

    async def _record_error(self, _update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        self.errors.append(context.error)

    @classmethod
    async def start(cls, settings: Settings, engine: Engine) -> OfflineChat:
        chat = cls(settings, engine)
        await chat.app.initialize()
        return chat

    async def stop(self) -> None:
        """Shut the bot down (as a killed process would be); fails if a handler failed."""
        await self.app.shutdown()
        self.guard.remove()
        assert self.guard.on_loop == [], f"SQL ran on the event loop: {self.guard.on_loop!r}"
        assert self.errors == [], f"a handler failed: {self.errors!r}"

    async def __aenter__(self) -> OfflineChat:
        await self.app.initialize()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            await self.stop()
        else:
            await self.app.shutdown()
            self.guard.remove()

    # --- what people do (each returns the Bot API calls the bot made in answer) -------------

    async def send(self, user: int, text: str) -> list[Call]:
        """A text message (or /command) from `user`."""
        return await self._process(self.updates.text(user, text))

    async def send_document(
        self,
        user: int,
        file_name: str,
        mime_type: str,
        content: bytes = b"%PDF-1.7 report",
        *,
        caption: str | None = None,
        size: int | None = None,
        unsized: bool = False,
    ) -> list[Call]:
        """A file from `user` the bot can download; `size` as Telegram declares it (default
        the content's length; `unsized`: not declared). The same content is the same file."""
        declared = None if unsized else len(content) if size is None else size
        update = self.updates.document(
            user,
            file_name,
            mime_type,
            declared,
            file_id=self.request.add_file(content),
            file_unique_id=_unique_id(content),
            caption=caption,
        )
        return await self._process(update)

    async def send_photo(
        self, user: int, content: bytes = b"\xff\xd8jpeg", *, caption: str | None = None
    ) -> list[Call]:
        """A photo from `user` the bot can download."""
        update = self.updates.photo(
            user,
            self.request.add_file(content),
            len(content),
            file_unique_id=_unique_id(content),
            caption=caption,
        )
        return await self._process(update)

    async def tap(self, user: int, data: str, message_id: int | None = None) -> list[Call]:
        """A press of a button carrying `data`, by default on the latest message in the chat."""
        if message_id is None:
            message_id = self.keyboard_message(user).message_id
        assert message_id is not None
        return await self._process(self.updates.callback(user, data, message_id))

    async def tap_label(self, user: int, label: str) -> list[Call]:
        """Press the button of the latest message whose text contains `label`."""
        return await self.tap(user, self.button(user, label))

    async def _process(self, update: Update) -> list[Call]:
        before = len(self.request.calls)
        with self.guard.armed():
            await self.app.process_update(update)
        return self.request.calls[before:]

    # --- what the bot said ---------------------------------------------------------------------

    def in_chat(self, chat_id: int) -> list[Call]:
        """Every message the bot sent or edited in the chat, oldest first."""
        return self.request.sent(chat_id)

    def last_text(self, chat_id: int) -> str:
        return self.request.last_text(chat_id)

    def keyboard_message(self, chat_id: int) -> Call:
        """The latest message (send or edit) in the chat; its buttons are the live ones."""
        said = self.in_chat(chat_id)
        assert said, "the bot said nothing in this chat"
        return said[-1]

    def button(self, chat_id: int, label: str) -> str:
        """The callback data of the live button whose text contains `label`."""
        keyboard = self.keyboard_message(chat_id).keyboard
        for row in keyboard:
            for button in row:
                if label in button["text"]:
                    return str(button["callback_data"])
        raise AssertionError(f"no button {label!r} in {keyboard}")

    def all_callback_data(self) -> list[str]:
        """The data of every button the bot has shown so far."""
        return [
            str(button["callback_data"])
            for call in self.request.calls
            for row in call.keyboard
            for button in row
        ]

    def calls(self, method: str) -> list[Call]:
        """Every call of one Bot API method, e.g. "answerCallbackQuery" or "download"."""
        return [call for call in self.request.calls if call.method == method]

    def downloads(self) -> int:
        """How many files the bot fetched from Telegram."""
        return len(self.calls("download"))


def _unique_id(content: bytes) -> str:
    """Telegram's file_unique_id: the same for the same file, whoever sends it."""
    return "u-" + hashlib.sha256(content).hexdigest()[:16]
