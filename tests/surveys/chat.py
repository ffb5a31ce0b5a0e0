"""A survey chat on the offline Bot API: feed updates, read what the bot said and which buttons.

Used by the chat tests and the resume test; the bot runs through PTB's own
seams (`RecordingRequest`, `Update.de_json`, `Application.process_update`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from telegram.ext import ContextTypes

from bot.app import BotApplication, build_application
from bot.offline import OFFLINE_TOKEN, RecordingRequest, UpdateFactory
from workflow.settings import Settings


@dataclass
class Said:
    """One call the bot made, with the message id Telegram gave it."""

    method: str
    params: dict[str, Any]
    message_id: int | None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        markup = self.params.get("reply_markup")
        if not markup:
            return []
        data = json.loads(markup) if isinstance(markup, str) else markup
        return list(data.get("inline_keyboard", []))


@dataclass
class SurveyChat:
    app: BotApplication
    request: RecordingRequest
    updates: UpdateFactory
    errors: list[BaseException] = field(default_factory=list)
    said: list[Said] = field(default_factory=list)

    @classmethod
    async def start(cls, settings: Settings, engine: Engine) -> SurveyChat:
        request = RecordingRequest()
        app = build_application(
            settings, engine, token=OFFLINE_TOKEN, request=request, rate_limiter=False
        )
        chat = cls(app, request, UpdateFactory(app))
        request.responder = chat._remember

        async def fail(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert context.error is not None
            chat.errors.append(context.error)

        app.add_error_handler(fail)
        await app.initialize()
        return chat

    async def stop(self) -> None:
        await self.app.shutdown()
        assert self.errors == [], f"a handler failed: {self.errors!r}"

    def _remember(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, body = self.request.answer(method, params)
        result = body.get("result")
        message_id = result.get("message_id") if isinstance(result, dict) else None
        self.said.append(Said(method, params, message_id))
        return status, body

    # what people do
    async def send(self, user: int, text: str) -> list[Said]:
        """A message from `user`; what the bot did in answer."""
        return await self._process(self.updates.text(user, text))

    async def tap(self, user: int, data: str, message_id: int | None = None) -> list[Said]:
        """A press of a button carrying `data`, by default on the latest message with buttons."""
        if message_id is None:
            message_id = self.keyboard_message(user).message_id
        assert message_id is not None
        return await self._process(self.updates.callback(user, data, message_id))

    async def tap_label(self, user: int, label: str) -> list[Said]:
        """Press the button of the latest keyboard whose text contains `label`."""
        return await self.tap(user, self.button(user, label))

    async def _process(self, update: Any) -> list[Said]:
        before = len(self.said)
        await self.app.process_update(update)
        return self.said[before:]

    # what the bot said
    def in_chat(self, chat_id: int) -> list[Said]:
        return [
            s
            for s in self.said
            if s.method in {"sendMessage", "editMessageText"}
            and int(s.params.get("chat_id", 0)) == chat_id
        ]

    def last_text(self, chat_id: int) -> str:
        said = self.in_chat(chat_id)
        return said[-1].text if said else ""

    def keyboard_message(self, chat_id: int) -> Said:
        """The latest message (send or edit) in the chat; its buttons are the live ones."""
        said = self.in_chat(chat_id)
        assert said, "the bot said nothing in this chat"
        return said[-1]

    def button(self, chat_id: int, label: str) -> str:
        for row in self.keyboard_message(chat_id).buttons:
            for button in row:
                if label in button["text"]:
                    return str(button["callback_data"])
        raise AssertionError(f"no button {label!r} in {self.keyboard_message(chat_id).buttons}")

    def all_callback_data(self) -> list[str]:
        return [
            str(button["callback_data"])
            for said in self.said
            for row in said.buttons
            for button in row
        ]
