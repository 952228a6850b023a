"""The pages of the crawl in Chromium: no console error, no failed request, no subresource answering >= 400.

One URL per view of each identity's walk (Django's admin counts one per kind of admin page), loaded
from the live server until the network is idle; every problem of every page is reported together.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

from tests.browser.conftest import VIEWPORT
from tests.crawl import scene

pytestmark = [
    pytest.mark.browser,
    # Transactional: the live server writes sessions from its own connection, which a test transaction
    # would lock out. pytest-django runs transactional tests after the client pass's.
    pytest.mark.django_db(transaction=True),
    # Media files come from Django's static view, whose sync file iterator Django warns about under ASGI.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous"),
]

IDENTITIES = {i.name: i for i in scene.IDENTITIES}
SETTLE_MS = 3000  # how long a page may keep fetching after "load" before it is judged


def view_kind(view: str) -> str:
    """Admin pages of every model look alike: one of each kind is enough."""
    return re.sub(r"^admin:\w+?_\w+?_(changelist|add|change|delete|history)$", r"admin:*_\1", view)


def browser_pages(walk) -> list[str]:
    """One page per view kind that the identity's walk fetched with a 200."""
    chosen: dict[str, str] = {}
    for visit in walk.visits:
        # The API answers a browser with its HTML pages (the "JSON" links open them).
        if visit.status == 200 and (visit.content_type.startswith("text/html") or visit.view.startswith("api:")):
            chosen.setdefault(view_kind(visit.view), visit.url)
    return list(chosen.values())


def session_cookie(identity) -> dict | None:
    from django.contrib.auth import get_user_model

    if not identity.username:
        return None
    client = Client()
    client.force_login(get_user_model().objects.get(username=identity.username))
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}


def load(page, url: str) -> list[str]:
    """Open ``url``; the console errors, uncaught exceptions and failed requests it caused."""
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: msg.type == "error" and problems.append(f"console error: {msg.text} {msg.location.get('url', '')}"),
    )
    page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.method} {req.url} ({req.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.request.method} {r.url}"))
    try:
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle", timeout=SETTLE_MS)
    except Exception as exc:  # a page that never settles is a finding too, not the end of the pass
        problems.append(f"did not settle: {str(exc).splitlines()[0]}")
    return list(problems)


def test_every_page_loads_in_chromium_without_console_errors_or_failed_requests(walks, chromium, live_url):
    found, loaded = [], 0
    for name in ("anonymous-open", "labeler", "admin"):
        identity = IDENTITIES[name]
        urls = browser_pages(walks[name])
        assert len(urls) > 15, urls
        context = chromium.new_context(viewport=VIEWPORT, base_url=live_url)
        context.set_default_timeout(10_000)
        if cookie := session_cookie(identity):
            context.add_cookies([{**cookie, "url": live_url}])
        try:
            with override_settings(OPEN_ACCESS=identity.open_access):
                for url in urls:
                    page = context.new_page()
                    found += [f"[{name}] {url}: {problem}" for problem in load(page, url)]
                    page.close()
                    loaded += 1
        finally:
            context.close()
    assert not found, f"{len(found)} problems on {loaded} pages:\n" + "\n".join(found)
