"""Talking to the bot with no network: a recording Bot API and update builders.

`RecordingRequest` is a `telegram.request.BaseRequest` that answers the Bot API
methods the bot uses the way Telegram does (same shapes, seconds for dates,
`is_bot` on getMe, message ids that count up) and records every call. A
`responder` hook can answer a call differently, e.g. with 429 or 403, to test
error handling. `UpdateFactory` builds updates as Telegram sends them, to feed
`Application.process_update`. The offline demo, the tests and the benchmarks
all use this module; nothing here reaches Telegram.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

BOT_ID = 7000000001
BOT_USERNAME = "safecomm_bot"
OFFLINE_TOKEN = f"{BOT_ID}:offline-token-for-tests-and-demo-0000"

Responder = Callable[[str, dict[str, Any]], "tuple[int, dict[str, Any]] | None"]


@dataclass
class Call:
    """One Bot API call the bot made, and the `result` the Bot API answered (if any)."""

    method: str
    params: dict[str, Any]
    result: Any = None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def keyboard(self) -> list[list[dict[str, Any]]]:
        """The inline keyboard the call carried (rows of buttons), empty if none."""
        markup = self.params.get("reply_markup")
        if not markup:
            return []
        data = json.loads(markup) if isinstance(markup, str) else markup
        return list(data.get("inline_keyboard", []))

    @property
    def message_id(self) -> int | None:
        """The id of the message the call sent or edited, as Telegram answered it."""
        if isinstance(self.result, dict) and "message_id" in self.result:
            return int(self.result["message_id"])
        return None


def ok(result: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"ok": True, "result": result}


def error(
    status: int, description: str, retry_after: int | None = None
) -> tuple[int, dict[str, Any]]:
    """A Bot API error answer (429 with retry_after becomes RetryAfter, 403 Forbidden)."""
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return status, body


@dataclass
class RecordingRequest(BaseRequest):
    """A faithful in-memory Bot API that records what the bot sends."""

    responder: Responder | None = None
    calls: list[Call] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _file_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add_file(self, content: bytes) -> str:
        """Make `content` downloadable as a Telegram file; returns its file_id."""
        file_id = f"file{next(self._file_ids)}"
        self.files[file_id] = content
        return file_id

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        if "/file/bot" in url:  # a download of a file the bot asked for with getFile
            self.calls.append(Call("download", {"file_id": api_method}))
            content = self.files.get(api_method)
            if content is None:
                status, body = error(404, "Not Found")
                return status, json.dumps(body).encode()
            return 200, content
        call = Call(api_method, dict(request_data.parameters) if request_data else {})
        self.calls.append(call)
        answer = self.responder(call.method, call.params) if self.responder else None
        status, body = answer if answer is not None else self.answer(call.method, call.params)
        call.result = body.get("result")
        return status, json.dumps(body).encode()

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """What Telegram would answer to a successful call."""
        if method == "getMe":
            return ok(
                {
                    "id": BOT_ID,
                    "is_bot": True,
                    "first_name": "安全社区助手",
                    "username": BOT_USERNAME,
                    "can_join_groups": False,
                    "can_read_all_group_messages": False,
                    "supports_inline_queries": False,
                }
            )
        if method == "getUpdates":
            return ok([])
        if method in {"sendMessage", "sendDocument", "sendPhoto", "editMessageText"}:
            return ok(self._message(params))
        if method == "getFile":
            file_id = str(params["file_id"])
            if file_id not in self.files:
                return error(400, "Bad Request: invalid file_id")
            return ok(
                {
                    "file_id": file_id,
                    "file_unique_id": f"u-{file_id}",
                    "file_size": len(self.files[file_id]),
                    "file_path": f"documents/{file_id}",
                }
            )
        return ok(True)

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params.get("chat_id", 0))
        message: dict[str, Any] = {
            "message_id": int(params.get("message_id") or next(self._message_ids)),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "安全社区助手"},
        }
        if "text" in params:
            message["text"] = params["text"]
        if "reply_markup" in params:
            markup = params["reply_markup"]
            message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        return message

    # what the bot said, for assertions and transcripts
    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Calls that put text in a chat (send or edit), optionally for one chat."""
        return [
            call
            for call in self.calls
            if call.method in {"sendMessage", "editMessageText"}
            and (chat_id is None or int(call.params.get("chat_id", 0)) == chat_id)
        ]

    def last_text(self, chat_id: int) -> str:
        texts = self.sent(chat_id)
        return texts[-1].text if texts else ""

    def last_keyboard(self, chat_id: int) -> list[list[dict[str, Any]]]:
        """The inline keyboard of the latest message to `chat_id` (rows of buttons)."""
        texts = self.sent(chat_id)
        return texts[-1].keyboard if texts else []


class UpdateFactory:
    """Builds updates shaped like Telegram's, bound to the application's bot."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self._app = app
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)

    def _user(self, user_id: int, name: str) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "zh-hans"}

    def text(self, user_id: int, text: str, name: str = "用户") -> Update:
        """A private text message; a leading /command gets its bot_command entity."""
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._update({"message": self._message(user_id, name, **fields)})

    def _message(self, user_id: int, name: str, **fields: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": name},
            "from": self._user(user_id, name),
            **fields,
        }

    def document(
        self,
        user_id: int,
        file_name: str,
        mime_type: str,
        size: int | None,
        *,
        file_id: str | None = None,
        file_unique_id: str | None = None,
        caption: str | None = None,
        name: str = "用户",
    ) -> Update:
        """A private message carrying a document (`file_id` from `RecordingRequest.add_file`).

        `size` None: Telegram did not say how large the file is. `file_unique_id`: the
        same for the same file sent twice (Telegram's own id stays per message).
        """
        document: dict[str, Any] = {
            "file_id": file_id or f"file-{file_name}",
            "file_unique_id": file_unique_id or f"u-{file_id or file_name}",
            "file_name": file_name,
            "mime_type": mime_type,
        }
        if size is not None:
            document["file_size"] = size
        extra = {"caption": caption} if caption is not None else {}
        return self._update({"message": self._message(user_id, name, document=document, **extra)})

    def photo(
        self,
        user_id: int,
        file_id: str,
        size: int,
        *,
        file_unique_id: str | None = None,
        caption: str | None = None,
        name: str = "用户",
    ) -> Update:
        """A private message carrying a photo in two sizes (the larger is `file_id`)."""
        sizes = [
            {
                "file_id": f"{file_id}-thumb",
                "file_unique_id": f"{file_id}-s",
                "width": 90,
                "height": 60,
                "file_size": 100,
            },
            {
                "file_id": file_id,
                "file_unique_id": file_unique_id or f"{file_id}-l",
                "width": 1280,
                "height": 960,
                "file_size": size,
            },
        ]
        extra = {"caption": caption} if caption is not None else {}
        return self._update({"message": self._message(user_id, name, photo=sizes, **extra)})

    def callback(self, user_id: int, data: str, message_id: int = 1, name: str = "用户") -> Update:
        """A press of an inline button carrying `data` on message `message_id`."""
        query = {
            "id": str(next(self._update_ids) * 7919),
            "from": self._user(user_id, name),
            "chat_instance": str(user_id),
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": name},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "安全社区助手"},
                "text": "…",
            },
        }
        return self._update({"callback_query": query})

    def _update(self, body: dict[str, Any]) -> Update:
        update = Update.de_json({"update_id": next(self._update_ids), **body}, self._app.bot)
        assert update is not None
        return update
