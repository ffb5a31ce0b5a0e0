"""A small, faithful Telegram Bot API server for end-to-end tests, on 127.0.0.1.

It answers the methods the bot uses over real HTTP the way Telegram does:
`getMe` (with `is_bot` and `username`), `getUpdates` with real long polling
(`offset` confirms, `limit`, `timeout` in seconds), `sendMessage`,
`editMessageText`, `editMessageReplyMarkup` (400 "message is not modified" /
"message to edit not found" like Telegram), `answerCallbackQuery` (once per
query), `setMyCommands`, `deleteWebhook`, `getWebhookInfo`, `close`, `logOut`,
`sendChatAction`, `setWebhook` (then `getWebhookInfo` shows it); any other method gets Telegram's 404 "method not found", and
a wrong token 401. Dates are in seconds; callback queries carry
`chat_instance`.

In webhook mode (`push` set) what users do is handed to `push` in a thread of
its own, as Telegram posts it, instead of waiting for `getUpdates`. Every
`sendMessage` is timed on arrival (`sent_at`), for rate checks.

The test drives it with plain methods: `send_text` and `press` inject what a
user does, `messages`/`last_message` read what the bot shows in a chat, and
`wait_for` waits (bounded) for a condition on that state.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

BOT_ID = 7000000002
BOT_USERNAME = "safecomm_bot"
Answer = tuple[int, dict[str, Any]]


def _ok(result: Any) -> Answer:
    return 200, {"ok": True, "result": result}


def _error(status: int, description: str) -> Answer:
    return status, {"ok": False, "error_code": status, "description": description}


class BotAPIServer:
    """The Bot API for one bot token, plus the test's view of every chat."""

    def __init__(self, token: str) -> None:
        self.token = token
        self._state = threading.Condition()
        self._pending: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._chats: dict[int, dict[int, dict[str, Any]]] = {}
        self._open_queries: set[str] = set()
        self.answered: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.confirmed_through = 0
        self.sent_at: list[tuple[float, int]] = []
        """(time.monotonic() on arrival, chat id) of every sendMessage."""
        self.push: Callable[[dict[str, Any]], None] | None = None
        self.webhook: dict[str, Any] = {}
        self.polls = 0
        self._stopping = False
        self._http: ThreadingHTTPServer | None = None

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> str:
        """Serve on 127.0.0.1 and a free port; the base URL to give PTB."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self._handle()

            def do_GET(self) -> None:
                self._handle()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, answer = server.dispatch(
                    self.path, self.headers.get("Content-Type", ""), body
                )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None  # quiet: the URL holds the token

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._http.server_address[1]}/bot"

    def stop(self) -> None:
        with self._state:
            self._stopping = True
            self._state.notify_all()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    # -- HTTP -----------------------------------------------------------------

    def dispatch(self, path: str, content_type: str, body: bytes) -> Answer:
        prefix = "/bot"
        if not path.startswith(prefix) or "/" not in path[len(prefix) :]:
            return _error(404, "Not Found")
        token, _, method = path[len(prefix) :].partition("/")
        if token != self.token:
            return _error(401, "Unauthorized")
        params = self._params(content_type, body)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        if method != "getUpdates":
            with self._state:
                self.calls.append((method, params))
                self._state.notify_all()
        answer: Answer = handler(params)
        return answer

    @staticmethod
    def _params(content_type: str, body: bytes) -> dict[str, Any]:
        if not body:
            return {}
        if content_type.startswith("application/json"):
            return dict(json.loads(body))
        fields = parse_qs(body.decode(), keep_blank_values=True)
        return {name: values[-1] for name, values in fields.items()}

    # -- methods ----------------------------------------------------------------

    def _api_getMe(self, _params: dict[str, Any]) -> Answer:
        return _ok(
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

    def _api_getUpdates(self, params: dict[str, Any]) -> Answer:
        offset = int(params.get("offset") or 0)
        limit = min(int(params.get("limit") or 100), 100)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        with self._state:
            self.polls += 1
            if offset:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
                self.confirmed_through = max(self.confirmed_through, offset - 1)
            self._state.notify_all()
            while not self._pending and not self._stopping:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._state.wait(left)
            return _ok(self._pending[:limit])

    def _api_sendMessage(self, params: dict[str, Any]) -> Answer:
        chat_id = int(params["chat_id"])
        arrived = time.monotonic()
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "用户"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "安全社区助手"},
            "text": str(params["text"]),
        }
        markup = self._markup(params)
        if markup:
            message["reply_markup"] = markup
        with self._state:
            self._chats.setdefault(chat_id, {})[message["message_id"]] = message
            self.sent_at.append((arrived, chat_id))
            self._state.notify_all()
        return _ok(message)

    def _api_editMessageText(self, params: dict[str, Any]) -> Answer:
        return self._edit(params, text=str(params["text"]))

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Answer:
        return self._edit(params, text=None)

    def _edit(self, params: dict[str, Any], text: str | None) -> Answer:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        markup = self._markup(params)
        with self._state:
            message = self._chats.get(chat_id, {}).get(message_id)
            if message is None:
                return _error(400, "Bad Request: message to edit not found")
            new_text = message["text"] if text is None else text
            if new_text == message["text"] and markup == message.get("reply_markup"):
                return _error(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message",
                )
            message["text"] = new_text
            if markup:
                message["reply_markup"] = markup
            else:
                message.pop("reply_markup", None)
            message["edit_date"] = int(time.time())
            self._state.notify_all()
            return _ok(dict(message))

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Answer:
        query_id = str(params["callback_query_id"])
        with self._state:
            if query_id not in self._open_queries:
                return _error(
                    400,
                    "Bad Request: query is too old and response timeout expired or query ID is invalid",
                )
            self._open_queries.discard(query_id)
            self.answered[query_id] = params
            self._state.notify_all()
        return _ok(True)

    def _api_setMyCommands(self, _params: dict[str, Any]) -> Answer:
        return _ok(True)

    def _api_setWebhook(self, params: dict[str, Any]) -> Answer:
        with self._state:
            self.webhook = dict(params)
        return _ok(True)

    def _api_deleteWebhook(self, _params: dict[str, Any]) -> Answer:
        with self._state:
            self.webhook = {}
        return _ok(True)

    def _api_getWebhookInfo(self, _params: dict[str, Any]) -> Answer:
        with self._state:
            pending = len(self._pending)
            url = str(self.webhook.get("url", ""))
        return _ok({"url": url, "has_custom_certificate": False, "pending_update_count": pending})

    def _api_sendChatAction(self, _params: dict[str, Any]) -> Answer:
        return _ok(True)

    def _api_close(self, _params: dict[str, Any]) -> Answer:
        return _ok(True)

    def _api_logOut(self, _params: dict[str, Any]) -> Answer:
        return _ok(True)

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup) if markup else None
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            return markup
        return None

    # -- what users do (test side) --------------------------------------------

    def _user(self, user_id: int) -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": "社区工作人员",
            "language_code": "zh-hans",
        }

    def _queue(self, body: dict[str, Any]) -> int:
        with self._state:
            update_id = next(self._update_ids)
            update = {"update_id": update_id, **body}
            if self.push is None:
                self._pending.append(update)
            self._state.notify_all()
        if self.push is not None:
            threading.Thread(target=self.push, args=(update,), daemon=True).start()
        return update_id

    def send_text(self, user_id: int, text: str) -> int:
        """`user_id` writes `text` in the private chat; the update id."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "社区工作人员"},
            "from": self._user(user_id),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._queue({"message": message})

    def press(self, user_id: int, message_id: int, data: str) -> tuple[int, str]:
        """`user_id` presses the button carrying `data` on a bot message; (update id, query id)."""
        with self._state:
            message = dict(self._chats[user_id][message_id])
            query_id = f"{user_id}{next(self._query_ids):06d}"
            self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": self._user(user_id),
            "chat_instance": f"ci{user_id}",
            "message": message,
            "data": data,
        }
        return self._queue({"callback_query": query}), query_id

    # -- what the bot shows (test side) ---------------------------------------

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        with self._state:
            chat = self._chats.get(chat_id, {})
            return [dict(chat[key]) for key in sorted(chat)]

    def last_message(self, chat_id: int) -> dict[str, Any]:
        messages = self.messages(chat_id)
        return messages[-1] if messages else {}

    def wait_for(self, condition: Callable[[], bool], timeout: float = 20.0) -> None:
        """Wait until `condition()` holds (re-checked on every change), or fail after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._state:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for the bot")
                self._state.wait(min(left, 0.5))
