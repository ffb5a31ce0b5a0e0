"""Benchmark: the web pages under 50 concurrent clients, next to a bare Starlette handler.

The app (`create_app`, as `safecomm web` serves it: uvicorn on 127.0.0.1 with the
production config, `bot.web.serve.web_config`) and a bare Starlette app returning an
HTML page of the same size run one after the other, each in its own uvicorn
subprocess, against the same client: `--clients` (default 50) httpx clients, each
with its own cookies and connection, each doing `--rounds` round trips in a row.

A round trip is `survey_round_trip(client, token)`: a unit answering its survey —
GET the current question page (`/s/<token>/step`: the session cookie, one read) and
POST the answer (the same-origin check, one compare-and-set write, answered 303);
every client answers its own invitation, bound in its warm-up trip. The bare
handler's round trip is the same two requests: a GET answered with an HTML page as
large as the app's, a POST answered 303.

    python bench/bench_web.py [--clients 50] [--rounds 100]
    python bench/bench_web.py --postgres             # a throwaway PostgreSQL cluster
    python bench/bench_web.py --database-url postgresql://…/empty_db

Prints requests/s and p50/p99 latency of each, their ratio (target ≥ 0.3× the bare
handler; p99 < 100 ms at 50 clients) and the page weight of the page the round trip
GETs: its HTML plus every stylesheet it links (target ≤ 15 KB).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the checkout
sys.path.insert(0, str(HERE))  # bench_survey's seed

SECRET = "bench-session-secret-" + "0" * 32
STYLESHEET = re.compile(rb'<link rel="stylesheet" href="([^"]+)"')


class Client:
    """A browser's worth of HTTP/1.1 on one kept-alive connection, with its own cookies:
    a few lines of asyncio streams, so the clients cost the machine far less than the
    servers they measure (httpx at 50 clients was the bottleneck of the bare handler)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.host = url.removeprefix("http://")
        self.cookies: dict[str, str] = {}
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> Answer:
        return await self._request("GET", path, b"")

    async def post(self, path: str, data: dict[str, str]) -> Answer:
        return await self._request("POST", path, urlencode(data).encode())

    async def _request(self, method: str, path: str, body: bytes) -> Answer:
        if self._streams is None:
            host, port = self.host.rsplit(":", 1)
            self._streams = await asyncio.open_connection(host, int(port))
        reader, writer = self._streams
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if method == "POST":
            lines += [
                f"Origin: {self.url}",  # a browser's form post from our own pages
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
            ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers: dict[str, str] = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "set-cookie":
                cookie = value.strip().split(";", 1)[0]
                key, _, cookie_value = cookie.partition("=")
                self.cookies[key] = cookie_value
            elif name:
                headers[name.lower()] = value.strip()
        content = await reader.readexactly(int(headers.get("content-length", "0")))
        return Answer(status, headers, content)

    async def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            await self._streams[1].wait_closed()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Tokens:
    """What each client opens: a sign-in link and a survey invitation."""

    login: str
    survey: str


ANSWER_FORM = re.compile(rb'name="action" value="a"><input type="hidden" name="item" value="(\d)"')


async def survey_round_trip(client: Client, token: Tokens) -> list[float]:
    """One round trip of a unit answering: GET the current step (a question page, or the
    review page once all five are answered) and POST the form it shows — the answer 3
    to that question, or on the review page a change of item 1, which leads back to the
    questions. A client's first trip binds its invitation (`POST …/start`, the warm-up)."""
    base = f"/s/{token.survey}"
    if "safecomm_respondent" not in client.cookies:
        bound = await client.post(f"{base}/start", {})
        assert bound.status == 303, bound.status
    started = time.perf_counter()
    page = await client.get(f"{base}/step")
    got = time.perf_counter()
    assert page.status == 200, page.status
    question = ANSWER_FORM.search(page.body)
    form = (
        {"action": "a", "item": question[1].decode(), "points": "3"}
        if question
        else {"action": "c", "item": "1"}
    )
    done = await client.post(f"{base}/step", form)
    assert done.status == 303 and "stale" not in done.headers["location"], done.headers
    return [got - started, time.perf_counter() - got]


def question_page(url: str, token: Tokens) -> tuple[int, int]:
    """The weight of a question page (HTML, and the stylesheets it links), as a browser of
    its own that has just started the survey sees it."""
    with httpx.Client(base_url=url, headers={"origin": url}) as browser:
        browser.post(f"/s/{token.survey}/start")
        html = browser.get(f"/s/{token.survey}/step").content
        assert ANSWER_FORM.search(html), "not a question page"
        css = sum(len(browser.get(href.decode()).content) for href in STYLESHEET.findall(html))
    return len(html), css


async def bare_round_trip(client: Client, _token: Tokens) -> list[float]:
    started = time.perf_counter()
    page = await client.get("/page")
    got = time.perf_counter()
    assert page.status == 200, page.status
    done = await client.post("/form", {"answer": "3"})
    assert done.status == 303, done.status
    return [got - started, time.perf_counter() - got]


# --- the servers (subprocesses of this script) ---------------------------------------


def serve_app(url: str, port: int) -> None:
    import uvicorn

    from bot.web.app import create_app
    from bot.web.serve import web_config
    from workflow.core.db import bot_engine
    from workflow.core.settings import load_settings

    settings = load_settings(
        database_url=url,
        session_secret=SECRET,
        web_bind=f"127.0.0.1:{port}",
        web_base_url=f"http://127.0.0.1:{port}",
    )
    engine = bot_engine(settings)
    uvicorn.Server(web_config(settings, create_app(settings, engine))).run()


def serve_bare(port: int, size: int) -> None:
    """Starlette alone: an HTML page of `size` bytes, and a form answered 303."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, RedirectResponse, Response
    from starlette.routing import Route

    from bot.web.serve import TRUSTED_PROXY

    body = "<!doctype html><html><body>" + "页" * max((size - 40) // 3, 0) + "</body></html>"

    async def page(_request: Request) -> Response:
        return HTMLResponse(body)

    async def form(request: Request) -> Response:
        await request.form()
        return RedirectResponse("/page", status_code=303)

    app = Starlette(routes=[Route("/page", page), Route("/form", form, methods=["POST"])])
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=TRUSTED_PROXY,
        log_config=None,
    )
    uvicorn.Server(config).run()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """This script in `--serve` mode, until stopped."""

    def __init__(self, *args: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, __file__, "--serve", *args, "--port", str(self.port)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAFECOMM_")}
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.url + "/", timeout=1)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


# --- the clients -----------------------------------------------------------------------


RoundTrip = Callable[[Client, Tokens], Awaitable[list[float]]]


async def load(
    url: str, tokens: list[Tokens], rounds: int, trip: RoundTrip
) -> tuple[list[float], float, list[list[float]]]:
    """`len(tokens)` clients at once, `rounds` round trips each: every request's latency,
    the wall time (after one warm-up round trip per client), the latencies per step."""
    clients = [Client(url) for _ in tokens]
    try:
        await asyncio.gather(*(trip(c, t) for c, t in zip(clients, tokens, strict=True)))
        latencies: list[float] = []
        by_step: dict[int, list[float]] = {}

        async def one(client: Client, token: Tokens) -> None:
            for _ in range(rounds):
                taken = await trip(client, token)
                latencies.extend(taken)
                for step, seconds in enumerate(taken):
                    by_step.setdefault(step, []).append(seconds)

        started = time.perf_counter()
        await asyncio.gather(*(one(c, t) for c, t in zip(clients, tokens, strict=True)))
        wall = time.perf_counter() - started
        return latencies, wall, [by_step[step] for step in sorted(by_step)]
    finally:
        await asyncio.gather(*(c.close() for c in clients))


def seed(url: str, clients: int) -> list[Tokens]:
    """A migrated database with an expert, one sign-in link per client, and one guided
    unit's invitation per client (`bench_survey.seed`)."""
    from bench_survey import seed as seed_invitations

    from workflow.access.actors import Actor, Role
    from workflow.access.grants import grant_role
    from workflow.access.weblogins import issue_login
    from workflow.core.db import bot_engine, transaction
    from workflow.core.settings import load_settings

    settings = load_settings(database_url=url)
    engine = bot_engine(settings)
    try:
        invitations = seed_invitations(engine, clients)
        admin = Actor.cli("基准测试")
        with transaction(engine) as session:
            grant_role(session, "tg:9001", Role.EXPERT, admin)
            logins = [
                issue_login(
                    session,
                    "staff",
                    actor_key="tg:9001",
                    label=f"专家{n}",
                    issued_by=admin,
                    settings=settings,
                )
                for n in range(clients)
            ]
    finally:
        engine.dispose()
    return [Tokens(login, survey) for login, (_, survey) in zip(logins, invitations, strict=True)]


def _cuts(latencies: list[float]) -> str:
    cuts = statistics.quantiles(latencies, n=100)
    return f"{cuts[49] * 1000:>9.1f} {cuts[98] * 1000:>9.1f}"


def summary(
    name: str, latencies: list[float], wall: float, steps: list[list[float]]
) -> tuple[float, float]:
    """One line per server, then its GET and its POST; (requests/s, p99 ms)."""
    rate = len(latencies) / wall
    print(f"{name:<10} {len(latencies):>9} {rate:>11.0f} {_cuts(latencies)}")
    for label, step in zip(("  GET", "  POST"), steps, strict=True):
        print(f"{label:<10} {len(step):>9} {'':>11} {_cuts(step)}")
    return rate, statistics.quantiles(latencies, n=100)[98] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50, help="clients at the same time")
    parser.add_argument("--rounds", type=int, default=100, help="round trips per client")
    parser.add_argument("--database-url", help="an empty database to run on")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    parser.add_argument("--serve", choices=("app", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--bytes", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "app":
        serve_app(args.database_url, args.port)
        return
    if args.serve == "bare":
        serve_bare(args.port, args.bytes)
        return

    from bench_survey import database

    with database(args) as url:
        *tokens, weighed = seed(url, args.clients + 1)
        app = Server("app", "--database-url", url)
        try:
            html, css = question_page(app.url, weighed)
            measured = asyncio.run(load(app.url, tokens, args.rounds, survey_round_trip))
        finally:
            app.stop()
        bare = Server("bare", "--bytes", str(html))
        try:
            baseline = asyncio.run(load(bare.url, tokens, args.rounds, bare_round_trip))
        finally:
            bare.stop()
    backend = url.split(":", 1)[0]
    print(
        f"{args.clients} clients × {args.rounds} round trips (GET a page, POST a form),"
        f" uvicorn on 127.0.0.1, {backend}"
    )
    print(f"{'server':<10} {'requests':>9} {'requests/s':>11} {'p50 ms':>9} {'p99 ms':>9}")
    app_rate, app_p99 = summary("app", *measured)
    bare_rate, _ = summary("bare", *baseline)
    print(f"app / bare throughput: {app_rate / bare_rate:.2f}× (target ≥ 0.30×)")
    print(f"app p99 at {args.clients} clients: {app_p99:.1f} ms (target < 100 ms)")
    weight = html + css
    print(
        f"page weight of a question page (/s/<token>/step): {weight:,} bytes"
        f" = HTML {html:,} + CSS {css:,} (target ≤ 15 KB = 15,360 bytes)"
    )


if __name__ == "__main__":
    main()
