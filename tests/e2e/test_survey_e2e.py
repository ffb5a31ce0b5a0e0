"""End to end over real HTTP: `safecomm bot` as a subprocess against a local Bot API server.

Three units answer: one changes an answer on the review screen and later
reopens its link to submit again, one answers straight through, and one is
answering when the bot is killed with SIGKILL; a new bot process resumes it at
the same question. The database is checked at the end.

The scenario runs on both backends: a SQLite file and a fresh, empty database
on the session's PostgreSQL server (production's backend), which the first bot
migrates itself on start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from surveys.aggregate import indicator_points
from surveys.answering import latest_submissions
from surveys.coverage import Status, coverage
from surveys.models import Submission, answers_of
from tests.e2e.botapi import BotAPIServer
from tests.pg import PostgresServer
from tests.surveys.helpers import OPEN_YEAR, Guided, guided_units
from workflow.core.db import make_engine

pytestmark = pytest.mark.e2e

TOKEN = "7000000002:e2e-token-for-the-local-bot-api-000000"
REPO = Path(__file__).resolve().parents[2]
UNIT_A, UNIT_B, UNIT_C = 1101, 1102, 1103


@dataclass
class Bot:
    """`safecomm bot` running in a child process, its log in a file."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


class World:
    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.tmp_path = tmp_path
        self.database_url = database_url
        self.api = BotAPIServer(TOKEN)
        self.base_url = self.api.start()
        self.bots: list[Bot] = []

    def start_bot(self) -> Bot:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAFECOMM_")}
        env.update(
            SAFECOMM_TELEGRAM_TOKEN=TOKEN,
            SAFECOMM_TELEGRAM_BASE_URL=self.base_url,
            SAFECOMM_DATABASE_URL=self.database_url,
            PYTHONPATH=str(REPO),
        )
        log = self.tmp_path / f"bot-{len(self.bots)}.log"
        polls_before = self.api.polls
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-c", "from bot.cli import run; run()", "bot"],
                cwd=self.tmp_path,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        bot = Bot(process, log)
        self.bots.append(bot)
        try:
            self.api.wait_for(
                lambda: self.api.polls > polls_before or process.poll() is not None, 60
            )
        except AssertionError:
            raise AssertionError(f"the bot never polled:\n{bot.output()}") from None
        assert process.poll() is None, f"the bot exited at start:\n{bot.output()}"
        return bot

    def seed(self, count: int) -> Guided:
        """An agency with `count` guided units and their invitations, written while the bot runs."""
        engine = make_engine(self.database_url)
        try:
            with Session(engine, expire_on_commit=False) as session:
                return guided_units(session, count=count)
        finally:
            engine.dispose()

    def close(self) -> None:
        for bot in self.bots:
            if bot.process.poll() is None:
                bot.process.kill()
                bot.process.wait(10)
        self.api.stop()

    # a person in a chat
    def say(self, user: int, text: str, expect: str) -> None:
        """Write `text`; wait for the bot's answer (a new message) to start with `expect`.

        Waiting for a new message, not just the screen, matters after a restart:
        the killed bot may already have shown `expect`."""
        before = len(self.api.messages(user))
        self.api.send_text(user, text)
        self.api.wait_for(lambda: len(self.api.messages(user)) > before)
        self.wait_screen(user, expect)

    def tap(self, user: int, label: str, expect: str) -> str:
        """Press the button labelled `label` on the latest message; wait for the next screen."""
        message = self.api.last_message(user)
        data = button(message, label)
        _, query_id = self.api.press(user, message["message_id"], data)
        self.api.wait_for(lambda: query_id in self.api.answered)
        self.wait_screen(user, expect)
        return query_id

    def wait_screen(self, user: int, expect: str) -> None:
        try:
            self.api.wait_for(
                lambda: self.api.last_message(user).get("text", "").startswith(expect)
            )
        except AssertionError:
            seen = self.api.last_message(user).get("text", "")
            logs = "\n".join(bot.output() for bot in self.bots)
            raise AssertionError(f"expected {expect!r}, the bot shows {seen!r}\n{logs}") from None


def button(message: dict[str, Any], label: str) -> str:
    for row in message.get("reply_markup", {}).get("inline_keyboard", []):
        for key in row:
            if label in key["text"]:
                return str(key["callback_data"])
    raise AssertionError(f"no button {label!r} on {message.get('text')!r}")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend; on PostgreSQL a new one on the session's server.

    The URL is the plain `postgresql://` form an operator would configure."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'e2e.db'}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    server.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{server.port}/{name}"
    finally:
        server.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    world = World(tmp_path, database_url)
    try:
        yield world
    finally:
        world.close()


def answer(world: World, user: int, points: list[int], first: int = 1) -> None:
    for number, value in enumerate(points, start=first):
        following = f"第 {number + 1}/5 题" if number < 5 else "请核对您的答案"
        world.tap(user, f"{value} 分", following)


def test_three_units_answer_one_bot_is_killed_and_the_next_resumes(world: World) -> None:
    bot = world.start_bot()  # on an empty database: it migrates the schema before polling
    guided = world.seed(count=3)
    token_a, token_b, token_c = (inv.token for inv in guided.invitations)

    # A: answers, changes item 2 on the review screen, submits
    world.say(UNIT_A, f"/start {token_a}", "第 1/5 题")
    intro = world.api.messages(UNIT_A)[0]["text"]
    assert guided.units[0].name in intro and guided.agency.name in intro
    answer(world, UNIT_A, [4, 4, 3, 3, 2])
    world.tap(UNIT_A, "改第 2 题", "第 2/5 题")
    world.tap(UNIT_A, "1 分", "请核对您的答案")
    world.tap(UNIT_A, "提交", "提交成功")

    # B: straight through
    world.say(UNIT_B, f"/start {token_b}", "第 1/5 题")
    answer(world, UNIT_B, [3, 3, 3, 3, 3])
    world.tap(UNIT_B, "提交", "提交成功")

    # C: two answers, a third tap, and the bot is killed as it handles it
    world.say(UNIT_C, f"/start {token_c}", "第 1/5 题")
    answer(world, UNIT_C, [2, 1])
    message = world.api.last_message(UNIT_C)
    update_id, query_id = world.api.press(UNIT_C, message["message_id"], button(message, "0 分"))
    world.api.wait_for(
        lambda: query_id in world.api.answered and world.api.confirmed_through >= update_id
    )
    bot.process.send_signal(signal.SIGKILL)
    assert bot.process.wait(10) == -signal.SIGKILL

    world.start_bot()
    world.say(UNIT_C, "刚才怎么没反应了？", "第 4/5 题")
    answer(world, UNIT_C, [4, 4], first=4)
    world.tap(UNIT_C, "提交", "提交成功")

    # A reopens its link and changes its mind once more
    world.say(UNIT_A, f"/start {token_a}", "请核对您的答案")
    world.tap(UNIT_A, "改第 5 题", "第 5/5 题")
    world.tap(UNIT_A, "0 分", "请核对您的答案")
    world.tap(UNIT_A, "提交", "提交成功")

    # a stranger cannot take over a bound link
    world.say(9999, f"/start {token_b}", "这个问卷链接已由另一位用户打开并绑定")

    last = world.bots[-1]
    last.process.send_signal(signal.SIGTERM)
    assert last.process.wait(30) == 0, last.output()

    engine = make_engine(world.database_url)
    try:
        with Session(engine) as session:
            history = session.exec(select(Submission).order_by(Submission.id)).all()
            by_invitation = {inv.id: inv for inv in guided.invitations}
            latest = latest_submissions(session, OPEN_YEAR)
            answers = {by_invitation[i].unit_id: answers_of(s) for i, s in latest.items()}
            units = [unit.id for unit in guided.units]
            assert answers[units[0]] == {1: 4, 2: 1, 3: 3, 4: 3, 5: 0}
            assert answers[units[1]] == {1: 3, 2: 3, 3: 3, 4: 3, 5: 3}
            assert answers[units[2]] == {1: 2, 2: 1, 3: 0, 4: 4, 5: 4}
            assert [s.invitation_id for s in history].count(guided.invitations[0].id) == 2
            assert len(history) == 4 and len({s.receipt for s in history}) == 4
            assert {row.status for row in coverage(session, OPEN_YEAR)} == {Status.SUBMITTED}
            assert indicator_points(list(answers.values())) == {
                "3.1": 3,
                "3.2": 2,
                "3.3": 2,
                "3.4": 3,
                "3.5": 2,
            }
    finally:
        engine.dispose()
    for started in world.bots:
        assert TOKEN.split(":")[1] not in started.output()


def test_the_bot_refuses_a_missing_token_with_one_line(tmp_path: Path) -> None:
    done = run_bot_once(tmp_path)
    assert done.returncode == 2
    assert done.stderr.decode().strip().splitlines() == [
        "未配置 Telegram 机器人令牌：请设置 SAFECOMM_TELEGRAM_TOKEN（从 @BotFather 获取）。"
    ]


def run_bot_once(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFECOMM_")}
    env.update(PYTHONPATH=str(REPO), SAFECOMM_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    env.update({f"SAFECOMM_{name.upper()}": value for name, value in settings.items()})
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import run; run()", "bot"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_a_token_the_server_rejects_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    api = BotAPIServer(TOKEN)
    base_url = api.start()
    wrong = "7000000002:a-well-formed-but-wrong-token-00000000"
    try:
        done = run_bot_once(tmp_path, telegram_token=wrong, telegram_base_url=base_url)
    finally:
        api.stop()
    assert done.returncode == 2
    last = done.stderr.decode().strip().splitlines()[-1]
    assert last.startswith("Telegram 拒绝了机器人令牌")
    assert "wrong-token" not in done.stderr.decode() + done.stdout.decode()


def test_an_unreachable_bot_api_server_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    api = BotAPIServer(TOKEN)
    base_url = api.start()
    api.stop()  # nothing listens on that port any more
    done = run_bot_once(tmp_path, telegram_token=TOKEN, telegram_base_url=base_url)
    assert done.returncode == 1
    last = done.stderr.decode().strip().splitlines()[-1]
    assert last.startswith(f"无法连接 Bot API 服务器 {base_url}")
    assert TOKEN.split(":")[1] not in done.stderr.decode()
