"""A live ASGI server (HTTP + websockets) in a thread of the test process, and Chromium driven by Playwright.

The server shares the test's in-memory SQLite database (shared cache) and in-memory channel layer,
so what a test writes or publishes reaches the page at once.
"""

from __future__ import annotations

import asyncio
import importlib
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.services import require_program

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}


def pytest_collection_modifyitems(items):
    # Media files are served by Django's static view, whose sync file iterator Django warns about
    # under ASGI; production serves media from the web server in front.
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Module scope: the server, its event loop and Playwright's loop on the main thread are gone before
# the rest of the suite runs (events published there must reach their own channel layer again).
@pytest.fixture(scope="module")
def live_url(django_db_setup, django_db_blocker):
    """Base URL of uvicorn serving ``hydra_portal.asgi.application`` from a daemon thread."""
    import uvicorn
    from django.test.utils import override_settings

    from apps.core.events import register_server_loop

    # Static files straight from the app folders (no collectstatic), re-read when they change.
    overrides = override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
    overrides.enable()
    # The ASGI handler builds its middleware when the module is imported: import it after the overrides.
    if "hydra_portal.asgi" in sys.modules:
        asgi = importlib.reload(sys.modules["hydra_portal.asgi"])
    else:
        asgi = importlib.import_module("hydra_portal.asgi")
    port = _free_port()
    config = uvicorn.Config(asgi.application, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # only the main thread may install them
    loop = asyncio.new_event_loop()
    # Events published from the test thread go to the loop that serves the websockets, even before
    # the first page has connected.
    register_server_loop(loop)

    def serve():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.serve())

    thread = threading.Thread(target=serve, daemon=True, name="live-server")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    register_server_loop(None)
    overrides.disable()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    require_program(CHROMIUM, "apt-get install chromium")

    # Playwright's sync API keeps an event loop on this thread while it runs; the ORM calls a test makes
    # between browser steps are plain synchronous code, so Django's async-safety check is relaxed for
    # this module only (and never leaks into, say, a deploy check run later in the suite).
    env = pytest.MonkeyPatch()
    env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        env.undo()


@pytest.fixture
def browser_context(chromium, live_url):
    context = chromium.new_context(viewport=VIEWPORT, base_url=live_url, device_scale_factor=1)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


def login(context, live_url: str, user) -> None:
    """Give the browser a session for ``user`` without going through the form."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_url}])


def wait_live(page) -> None:
    """Wait until the page's websocket is open."""
    page.wait_for_selector('#live-status[data-state="open"]', state="attached")


def screenshot(page, name: str) -> None:
    """Save the viewport once every image in it has loaded."""
    # Polled from here: wait_for_function evaluates its predicate with eval, which the CSP forbids.
    loaded = (
        "() => Array.from(document.images).filter(i => i.getBoundingClientRect().top < innerHeight)"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    deadline = time.monotonic() + 30
    while not page.evaluate(loaded):
        assert time.monotonic() < deadline, "images in view did not load within 30 s"
        page.wait_for_timeout(100)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
