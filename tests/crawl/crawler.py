"""Walk the portal's pages as one identity with Django's test client, and collect what is wrong.

From the seeds (the home page, its top bar, and ``EXTRA_URLS``) the walk follows every same-site
link ``MAX_DEPTH`` levels deep. URLs are grouped by the view they resolve to (``django.urls.resolve``):
at most ``PER_VIEW`` URLs of one view are fetched, so a page that lists 500 plots costs two plot
pages, not 500. Every ``<form>`` of every page fetched is submitted once per (view, method) with an
empty body, POSTs inside a transaction that is rolled back, so a delete or logout form changes nothing.
URLs handed to scripts in ``data-*`` attributes and images are fetched too (a script's URL may
rightly refuse a GET, being a POST endpoint; only a server error counts there).

A form whose action lies in the API is a finding: a page's form posts to a page URL, whatever its
name. Plain links into the API (the "JSON" links) are followed like any other.

Filters get one hostile try per view: the first URL with a whole number in its query is fetched
again with each such number replaced by ``HUGE``, and each GET form is sent once with every field
``HUGE``; a server error there is a finding like any other.
"""

from __future__ import annotations

import re
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

MAX_DEPTH = 2
PER_VIEW = 2
# Beyond any database integer: filters must answer 400, not fail in the query (SQLite overflows).
HUGE = "99999999999999999999"
HOST = "testserver"
# Files, not pages: fetched when linked, never parsed.
NOT_PARSED = ("/static/", "/media/")
PROJECT = Path(__file__).resolve().parents[2]


@dataclass
class Form:
    action: str
    method: str
    found_on: str
    fields: list[str] = field(default_factory=list)


@dataclass
class Page:
    """What a page offers: links (``<a href>``), images, forms, and URLs given to its scripts."""

    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    data_urls: list[str] = field(default_factory=list)
    top_bar: list[str] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self, url: str):
        super().__init__(convert_charrefs=True)
        self.url, self.page, self._in_header, self._form = url, Page(), 0, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "header":
            self._in_header += 1
        if tag == "a" and attrs.get("href"):
            self.page.links.append(attrs["href"])
            if self._in_header:
                self.page.top_bar.append(attrs["href"])
        elif tag == "img" and attrs.get("src"):
            self.page.images.append(attrs["src"])
        elif tag == "form":
            method = (attrs.get("method") or "get").upper()
            if method in ("GET", "POST"):
                self._form = Form(attrs.get("action") or self.url, method, self.url)
                self.page.forms.append(self._form)
        elif tag in ("input", "select", "textarea") and self._form and attrs.get("name"):
            self._form.fields.append(attrs["name"])
        for name, value in attrs.items():
            if name.startswith("data-") and value and value.startswith("/") and not value.startswith("//"):
                self.page.data_urls.append(value)

    def handle_endtag(self, tag):
        if tag == "header" and self._in_header:
            self._in_header -= 1
        elif tag == "form":
            self._form = None


def parse(url: str, html: str) -> Page:
    parser = _Parser(url)
    parser.feed(html)
    return parser.page


def local(base: str, href: str) -> str | None:
    """The path and query of ``href`` on this site, or None for other sites, fragments and schemes."""
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    parts = urlsplit(urljoin(f"http://{HOST}{base}", href))
    if parts.scheme not in ("http", "https") or parts.netloc != HOST:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def view_of(url: str) -> str | None:
    """The view a URL resolves to (its namespaced name, or its route), None when nothing matches."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    return match.view_name or match.route


def in_api(url: str) -> bool:
    path = urlsplit(url).path
    if path.startswith("/api/"):
        return True
    try:
        return "api" in resolve(path).namespaces
    except Resolver404:
        return False


@dataclass
class Finding:
    check: str
    identity: str
    url: str
    status: int | None
    detail: str = ""
    found_on: str | None = None

    def __str__(self):
        where = f" (on {self.found_on})" if self.found_on else ""
        return f"[{self.identity}] {self.url} -> {self.status}{where}: {self.detail}".rstrip(": ")


@dataclass
class Visit:
    url: str
    view: str | None
    status: int
    content_type: str
    depth: int


@dataclass
class Walk:
    identity: str
    visits: list[Visit] = field(default_factory=list)
    forms: list[tuple[Form, int | None]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def found(self, check: str, url: str, status: int | None, detail: str = "", found_on: str | None = None):
        self.findings.append(Finding(check, self.identity, url, status, detail, found_on))


def overflowing(url: str) -> str:
    """``url`` with every whole-number query value (ids, runs, pages) replaced by ``HUGE``."""
    parts = urlsplit(url)
    query = "&".join(
        f"{key}={HUGE}" if value.isdigit() else f"{key}={value}"
        for key, _, value in (pair.partition("=") for pair in parts.query.split("&") if pair)
    )
    return f"{parts.path}?{query}"


def summary(response) -> str:
    """Exception and the innermost frame of the project's own code, or the start of the body."""
    exc_info = getattr(response, "exc_info", None)
    if exc_info and exc_info[1] is not None:
        _, exc, tb = exc_info
        frames = [
            f
            for f in traceback.extract_tb(tb)
            if f.filename.startswith(str(PROJECT)) and "/.venv/" not in f.filename and "/tests/" not in f.filename
        ]
        where = f" at {Path(frames[-1].filename).relative_to(PROJECT)}:{frames[-1].lineno}" if frames else ""
        return f"{type(exc).__name__}: {str(exc)[:200]}{where}"
    body = _body(response)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.decode("utf-8", "replace"))).strip()
    return text[:200]


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        data = b"".join(response.streaming_content)
        response.close()
        return data
    return response.content


def walk(identity: str, client: Client, seeds: list[str]) -> Walk:
    """Fetch every page reachable from ``seeds`` (see the module docstring) and submit its forms."""
    result = Walk(identity)
    queue = deque((url, 0, None) for url in seeds)
    fetched: set[str] = set()
    per_view: Counter = Counter()
    submitted: set[tuple[str | None, str]] = set()
    pending_forms: list[Form] = []
    oversized: set[str] = set()

    def budget(url: str, found_on: str | None) -> str | None:
        """The URL's view when it is new and its view has room left, else None."""
        if url in fetched or url.startswith("/static/"):
            return None
        fetched.add(url)
        view = view_of(url)
        if view is None:
            result.found("broken link", url, None, "resolves to no URL pattern", found_on)
            return None
        if per_view[view] >= PER_VIEW:
            return None
        per_view[view] += 1
        return view

    def try_overflow(url: str, found_on: str | None):
        """Once per view, whether or not its budget lets the URL itself be fetched."""
        view = view_of(url) if "?" in url else None
        huge = overflowing(url) if view and view not in oversized else url
        if huge != url:
            oversized.add(view)
            answer = client.get(huge, follow=True)
            if answer.status_code >= 500:
                result.found("server error", huge, answer.status_code, summary(answer), found_on or url)
            _body(answer)

    def fetch(url: str, view: str, depth: int, found_on: str | None, missing_is_broken: bool = True):
        response = client.get(url)
        status, content_type = response.status_code, response.get("Content-Type", "")
        result.visits.append(Visit(url, view, status, content_type, depth))
        if status >= 500:
            result.found("server error", url, status, summary(response), found_on)
        elif status == 404 and found_on and missing_is_broken:
            result.found("broken link", url, status, summary(response), found_on)
        return response

    while queue:
        url, depth, found_on = queue.popleft()
        try_overflow(url, found_on)
        view = budget(url, found_on)
        if view is None:
            continue
        response = fetch(url, view, depth, found_on)
        status, content_type = response.status_code, response.get("Content-Type", "")
        if status in (301, 302, 303, 307, 308):
            target = local(url, response["Location"])
            if target:
                queue.appendleft((target, depth, url))
            continue
        if status >= 500 or not content_type.startswith("text/html") or url.startswith(NOT_PARSED):
            _body(response)
            continue
        page = parse(url, response.content.decode("utf-8", "replace"))
        for form in page.forms:
            form.action = local(url, form.action) or form.action
            if in_api(form.action):
                result.found("form posts to the API", form.action, None, f"{form.method} form", url)
                continue
            key = (view_of(form.action), form.method)
            if key not in submitted:
                submitted.add(key)
                pending_forms.append(form)
        # Images must load; URLs handed to scripts may rightly refuse a GET (POST endpoints), but never 5xx.
        for src, missing_is_broken in [(i, True) for i in page.images] + [(d, False) for d in page.data_urls]:
            target = local(url, src)
            target_view = budget(target, url) if target else None
            if target_view:
                _body(fetch(target, target_view, depth + 1, url, missing_is_broken))
        if depth < MAX_DEPTH:
            for href in page.links:
                target = local(url, href)
                if target and target not in fetched:
                    queue.append((target, depth + 1, url))
    for form in pending_forms:
        result.forms.append((form, submit(result, client, form)))
    return result


def submit(result: Walk, client: Client, form: Form) -> int:
    """Send ``form`` empty with its method, from a copy of the session, and roll back what it did."""
    poster = Client(raise_request_exception=False)
    poster.cookies = type(client.cookies)(client.cookies)
    if form.method == "GET":
        filled = poster.get(urlsplit(form.action).path, dict.fromkeys(form.fields, HUGE), follow=True)
        if filled.status_code >= 500:
            detail = f"GET form with every field {HUGE}: {summary(filled)}"
            result.found("server error", form.action, filled.status_code, detail, form.found_on)
        _body(filled)
        response = poster.get(urlsplit(form.action).path)
    else:
        with transaction.atomic():
            response = poster.post(form.action, {})
            transaction.set_rollback(True)
    status = response.status_code
    if status >= 500:
        result.found("server error", form.action, status, f"{form.method} form: {summary(response)}", form.found_on)
    elif status in (404, 405, 415):
        result.found(
            "form not answered", form.action, status, f"{form.method} form: {summary(response)}", form.found_on
        )
    else:
        _body(response)
    return status


def top_bar(client: Client) -> list[str]:
    """The home page and the links of its top bar (navigation, account, admin, login)."""
    response = client.get("/")
    if response.status_code != 200:
        return ["/"]
    links = [local("/", href) for href in parse("/", response.content.decode()).top_bar]
    return ["/", *dict.fromkeys(link for link in links if link)]


def page_views() -> set[str]:
    """Names of every named URL pattern outside the API and Django's admin site."""
    from django.urls import URLPattern, URLResolver, get_resolver

    names = set()

    def collect(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace in ("api", "admin"):
                    continue
                collect(entry.url_patterns, f"{prefix}{entry.namespace}:" if entry.namespace else prefix)
            elif isinstance(entry, URLPattern) and entry.name:
                names.add(prefix + entry.name)

    collect(get_resolver().url_patterns)
    return names
