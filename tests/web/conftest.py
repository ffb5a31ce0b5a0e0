"""The web pages under test: in-process (`web`, Starlette's TestClient) and served by
uvicorn on 127.0.0.1 for a real Chromium driven by Playwright (`served`, `phone`).

Browser tests use Debian's `chromium` (no Playwright browser download) at a 360×640
phone viewport with the CJK font that `pip install .[cjk]` brings; each step's
screenshot is kept under `test-artefacts/screenshots/<test>/`. Without Chromium they
are skipped with a message, except under `CI=true`, where a missing browser fails.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from bot.web.app import create_app
from workflow.core.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("SAFECOMM_TEST_ARTEFACTS", ROOT / "test-artefacts"))
CHROMIUM = os.environ.get("SAFECOMM_CHROMIUM", "/usr/bin/chromium")
SECRET = "test-session-secret-" + "0" * 32
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PYTHON_VALUES = re.compile(r"\b(?:None|True|False|null|undefined|Traceback)\b|\{[a-z_]+\}")


def _catalogue_prefixes() -> set[str]:
    from bot.texts import bot_texts
    from surveys.errors import survey_texts
    from workflow.core.i18n import workflow_texts

    return {
        key.split(".")[0]
        for catalogue in (bot_texts, workflow_texts, survey_texts)
        for key in catalogue.keys("zh")
    }


def web_settings(engine: Engine, base_url: str, **overrides: Any) -> Settings:
    return load_settings(
        database_url=engine.url.render_as_string(hide_password=False),
        web_base_url=base_url,
        session_secret=SECRET,
        bot_username="bjsafety_bot",
        **overrides,
    )


@pytest.fixture
def web_app(engine: Engine) -> FastAPI:
    return create_app(web_settings(engine, "http://testserver"), engine)


@pytest.fixture
def web(web_app: FastAPI) -> Iterator[TestClient]:
    """The pages in-process, as a browser on the same origin would send them."""
    with TestClient(web_app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


@pytest.fixture
def any_web(any_engine: Engine) -> Iterator[TestClient]:
    """`web` on SQLite and on PostgreSQL."""
    app = create_app(web_settings(any_engine, "http://testserver"), any_engine)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


@dataclass
class Served:
    url: str
    settings: Settings
    engine: Engine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve(engine: Engine, **overrides: Any) -> Iterator[Served]:
    """The app served by uvicorn on 127.0.0.1 in a thread, until the test ends."""
    import uvicorn

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = web_settings(engine, url, **overrides)
    config = uvicorn.Config(
        create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield Served(url, settings, engine)
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def served(engine: Engine) -> Iterator[Served]:
    yield from serve(engine)


@pytest.fixture
def any_served(any_engine: Engine) -> Iterator[Served]:
    """`served` on SQLite and on PostgreSQL."""
    yield from serve(any_engine)


def _font_config(directory: Path) -> Path:
    """A fontconfig file that adds the pip-installed CJK font to the system's fonts."""
    import pylopdf_fonts_zh_cn

    fonts = Path(pylopdf_fonts_zh_cn.__file__).parent
    config = directory / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{fonts}</dir><cachedir>{directory / 'cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Debian's Chromium under Playwright, once per test module: Playwright's sync API
    keeps an event loop running in this thread while it is open, which later asyncio
    tests could not start beside, so it closes when the module's tests are done (a
    browser test module therefore holds no async tests)."""
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium missing at {CHROMIUM}: .ci/run installs Debian's chromium")
        pytest.skip(f"Chromium missing at {CHROMIUM} (apt install chromium); required under CI")
    from playwright.sync_api import sync_playwright

    fonts = _font_config(tmp_path_factory.mktemp("fonts"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_FLAGS,
            env={**os.environ, "FONTCONFIG_FILE": str(fonts)},
        )
        try:
            yield browser
        finally:
            browser.close()


Shot = Callable[[Any, str], Path]


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shot:
    """`shot(page, "answered")` keeps a full-page screenshot of this step."""
    folder = ARTEFACTS / "screenshots" / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
    shutil.rmtree(folder, ignore_errors=True)
    taken = [0]

    def take(page: Any, name: str) -> Path:
        taken[0] += 1
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{taken[0]:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def phone(chromium: Any) -> Iterator[Callable[[], Any]]:
    """`phone()` opens a new page in a fresh browser profile (its own cookies) at a
    360×640 phone viewport, as a WeChat user would; closed when the test ends."""
    contexts: list[Any] = []

    def open_page() -> Any:
        context = chromium.new_context(
            viewport={"width": 360, "height": 640},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            user_agent=(
                "Mozilla/5.0 (Linux; Android 12; Phone) AppleWebKit/537.36 (KHTML, like Gecko)"
                " Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.50"
            ),
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def english_codes(visible: str) -> list[str]:
    """Catalogue keys (`web.error.x`), Python values and unfilled `{placeholders}` in a
    page's visible text: what a person must never read."""
    prefixes = "|".join(sorted(_catalogue_prefixes()))
    keys = re.compile(rf"\b(?:{prefixes})\.[a-z_][a-z0-9_.]*")
    return keys.findall(visible) + PYTHON_VALUES.findall(visible)


def assert_no_english_code(page: Any) -> None:
    leaked = english_codes(page.inner_text("body"))
    assert leaked == [], f"English codes on the page: {leaked}"
