"""Answer 503 (with ``Retry-After``) instead of 500 while the database cannot be reached.

A refused, dropped or killed database connection raises ``OperationalError`` or ``InterfaceError``
from wherever the request first touches the database: a view, a middleware saving the session, DRF's
authentication. Pages then get the branded ``503.html``, the API its JSON error shape with the code
``unavailable`` (see ``apps.core.api.exceptions``). The broken connection is closed on the way out,
so the first request after the database returns opens a fresh one instead of failing on the dead one.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

log = logging.getLogger(__name__)

# Long enough for a database restart, short enough that a client does not give up on the portal.
RETRY_AFTER_SECONDS = 30
MESSAGE = "the database is unavailable for a moment; try again shortly"


def is_outage(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database cannot be used right now (refused, gone away, killed, locked)."""
    return isinstance(exc, OperationalError | InterfaceError)


def describe(exc: BaseException) -> str:
    """One line for logs and command output: the driver's message without its line breaks."""
    return f"database unavailable ({' '.join(str(exc).split())[:200] or exc.__class__.__name__})"


def close_broken_connections() -> None:
    """Drop connections that no longer answer, so the next query reconnects."""
    for conn in connections.all(initialized_only=True):
        try:
            if conn.connection is not None and not conn.is_usable():
                conn.close()
        except Exception:  # closing a dead socket may fail too; forgetting it is what matters
            conn.connection = None


def api_response() -> JsonResponse:
    from apps.core.api.exceptions import error_body

    response = JsonResponse(error_body(503, "unavailable", MESSAGE), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def page_response() -> HttpResponse:
    # Rendered without the request: context processors would query the database that is down.
    body = loader.get_template("503.html").render()
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def unavailable(request, exc: BaseException) -> HttpResponse:
    log.warning("database unavailable for %s %s: %s", request.method, request.path, exc)
    close_broken_connections()
    return api_response() if request.path.startswith("/api/") else page_response()


class DatabaseOutageMiddleware:
    """Turn a database outage raised by a view into a 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if is_outage(exc):
            return unavailable(request, exc)
        return None


def server_error(request, *args, **kwargs):
    """handler500: an outage raised outside a view (a middleware saving the session) is a 503 too."""
    exc = sys.exc_info()[1]
    if is_outage(exc):
        return unavailable(request, exc)
    return defaults.server_error(request, *args, **kwargs)
