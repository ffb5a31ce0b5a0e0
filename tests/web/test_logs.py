"""The access log of the served pages: survey and sign-in tokens sit in URL paths, and
uvicorn's own access line (as `safecomm web` configures it, `web_config`) names the
page with `<token>` in their place, never the token."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.web.app import create_app
from bot.web.logs import install_web_log_filters
from bot.web.serve import web_config
from tests.surveys.helpers import guided_units
from tests.web.conftest import web_settings
from tests.web.staff_fixtures import staff_link

ACCESS = "uvicorn.access"


@pytest.fixture
def access_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """uvicorn's access lines at INFO, with the web filters installed, captured on the
    access logger itself (uvicorn's default logging config stops it propagating); the
    loggers as they were afterwards."""
    logger = logging.getLogger(ACCESS)
    names = ("uvicorn.access", "uvicorn.error", "uvicorn")
    kept = {name: list(logging.getLogger(name).filters) for name in names}
    install_web_log_filters()
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger=ACCESS)
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)
        for name, filters in kept.items():
            logging.getLogger(name).filters[:] = filters


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(engine: Engine) -> Iterator[str]:
    """The app under uvicorn with the production config (`web_config`), on 127.0.0.1."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = web_settings(engine, url, web_bind=f"127.0.0.1:{port}")
    server = uvicorn.Server(web_config(settings, create_app(settings, engine)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def served_url(engine: Engine) -> Iterator[str]:
    yield from _serve(engine)


def test_the_access_log_names_the_pages_but_never_the_tokens(
    engine: Engine, served_url: str, access_log: pytest.LogCaptureFixture
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        survey_token = guided_units(session, 1).invitations[0].token
    login = staff_link(engine, served_url)
    login_token = login.rsplit("/", 1)[1]
    with httpx.Client(base_url=served_url, follow_redirects=False) as client:
        assert client.get(f"/s/{survey_token}").status_code == 200
        assert client.get(f"/s/{survey_token}/step?stale=1").status_code == 303
        assert client.get(f"/login/{login_token}").status_code == 200
    lines = [r.getMessage() for r in access_log.records if r.name == ACCESS]
    assert any('"GET /s/<token> HTTP/1.1" 200' in line for line in lines), lines
    assert any('"GET /s/<token>/step?stale=1 HTTP/1.1" 303' in line for line in lines), lines
    assert any('"GET /login/<token> HTTP/1.1" 200' in line for line in lines), lines
    for token in (survey_token, login_token):
        assert token not in access_log.text
        assert all(token not in r.getMessage() for r in access_log.records)
