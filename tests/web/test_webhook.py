"""Webhook mode in-process: only Telegram, with the secret, on the derived path, gets
an update handled, and each `update_id` is handled once however often it arrives
(issue 15). The update in each test is `/start`, whose answer the offline bot records."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.chat import OfflineChat
from tests.web.conftest import web_settings
from workflow.access import updates
from workflow.access.models import ReceivedUpdate
from workflow.core.clock import utcnow
from workflow.core.db import transaction

SECRET = "s3cret-webhook-0123456789abcdef0123456789"
USER = 4401


class Hook:
    """The web app of a webhook worker around an offline bot, and a client to post with."""

    def __init__(self, chat: OfflineChat, client: httpx.AsyncClient, path: str) -> None:
        self.chat, self.client, self.path = chat, client, path

    async def post(
        self, body: object, *, secret: str = SECRET, path: str | None = None
    ) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        return await self.client.post(path or self.path, json=body, headers=headers)

    def start(self, update_id: int) -> dict[str, object]:
        update = self.chat.updates.text(USER, "/start")
        return {**update.to_dict(), "update_id": update_id}

    def replies(self) -> int:
        return len([c for c in self.chat.in_chat(USER) if c.method == "sendMessage"])


@pytest.fixture
async def hook(any_engine: Engine) -> AsyncIterator[Hook]:
    from bot.web.app import create_app

    settings = web_settings(
        any_engine, "http://testserver", telegram_mode="webhook", webhook_secret=SECRET
    )
    chat = await OfflineChat.start(settings, any_engine)
    app = create_app(settings, any_engine, bot=chat.app)  # no lifespan: the bot is started here
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Hook(chat, client, settings.webhook_path)
    await chat.stop()


async def test_an_update_is_handled_and_a_repeat_changes_nothing(hook: Hook) -> None:
    first = await hook.post(hook.start(101))
    assert first.status_code == 200 and hook.replies() == 1
    again = await hook.post(hook.start(101))
    assert again.status_code == 200 and hook.replies() == 1
    other = await hook.post(hook.start(102))
    assert other.status_code == 200 and hook.replies() == 2


async def test_two_workers_receiving_one_update_at_once_handle_it_once(hook: Hook) -> None:
    answers = await asyncio.gather(*(hook.post(hook.start(201)) for _ in range(4)))
    codes = sorted(answer.status_code for answer in answers)
    assert hook.replies() == 1
    assert codes.count(200) >= 1 and set(codes) <= {200, 503}


async def test_only_telegram_with_the_secret_on_the_derived_path_is_heard(hook: Hook) -> None:
    assert SECRET not in hook.path and hook.path.startswith("/telegram/")
    assert (await hook.post(hook.start(301), secret="")).status_code == 403
    assert (await hook.post(hook.start(301), secret="x" * 40)).status_code == 403
    assert (await hook.post(hook.start(301), path="/telegram/" + "0" * 32)).status_code == 404
    assert (await hook.post(hook.start(301), path=f"/telegram/{SECRET}")).status_code == 404
    assert (await hook.post(["not", "an", "update"])).status_code == 400
    assert (await hook.post({"no": "update_id"})).status_code == 400
    assert hook.replies() == 0


async def test_a_delivery_while_another_worker_handles_it_is_asked_again_later(
    hook: Hook, any_engine: Engine
) -> None:
    """Another worker took 401 just now: 503, Telegram retries. One that took 402 and died
    long ago: the lease ran out, this delivery handles it."""
    with transaction(any_engine) as session:
        session.add(ReceivedUpdate(update_id=401, state=updates.PROCESSING, taken_at=utcnow()))
        session.add(
            ReceivedUpdate(
                update_id=402,
                state=updates.PROCESSING,
                taken_at=utcnow() - updates.LEASE - timedelta(seconds=1),
            )
        )
    busy = await hook.post(hook.start(401))
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert hook.replies() == 0
    assert (await hook.post(hook.start(402))).status_code == 200
    assert hook.replies() == 1
    with Session(any_engine) as session:
        row = session.get(ReceivedUpdate, 402)
        assert row is not None and row.state == updates.DONE


async def test_the_webhook_is_closed_in_polling_mode(any_engine: Engine) -> None:
    from bot.web.app import create_app

    settings = web_settings(any_engine, "http://testserver", webhook_secret=SECRET)
    app = create_app(settings, any_engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answer = await client.post(
            settings.webhook_path,
            json={"update_id": 1},
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
    assert answer.status_code == 404


def test_old_update_ids_are_pruned(any_engine: Engine) -> None:
    now = utcnow()
    with transaction(any_engine) as session:
        assert updates.take(session, 1, now - updates.KEEP - timedelta(hours=1)) is updates.Take.NEW
        assert updates.take(session, 2, now) is updates.Take.NEW
        updates.finish(session, 2, now)
        assert updates.take(session, 2, now) is updates.Take.DONE
        assert updates.prune(session, now) == 1
        assert session.get(ReceivedUpdate, 1) is None
