"""Request body limits enforced while the body arrives, before Django reads any of it.

Django's own limits (``DATA_UPLOAD_MAX_MEMORY_SIZE``, the upload views' size checks) apply once the
whole body has been received. This ASGI middleware sits in front of Django and

- answers 413 from ``Content-Length`` alone, before a byte of the body is read;
- caps the body of requests that carry no valid credentials at ``ANONYMOUS_MAX_BODY_BYTES`` (a login
  form or a token request fits; an upload does not), of signed-in users who may not upload plots at
  ``DATA_UPLOAD_MAX_MEMORY_SIZE``, and of uploaders at ``MAX_UPLOAD_BYTES``; credentials (a session
  cookie or an API token) are looked up only when a body is larger than the anonymous cap;
- counts bytes as they arrive, so a chunked body (no ``Content-Length``) is held to the same caps;
- answers 408 when no part of the body arrives for ``BODY_TIMEOUT`` seconds (a body shorter than
  its ``Content-Length`` would otherwise hold the request open for ever).

The body is spooled to a temporary file (in memory only up to 1 MiB) and replayed to Django with a
``Content-Length``, so that chunked uploads reach the form parser like any other.
"""

from __future__ import annotations

import asyncio
import json
import tempfile

from channels.db import database_sync_to_async
from django.conf import settings

SPOOL_IN_MEMORY = 1024 * 1024
REPLAY_CHUNK = 64 * 1024
GONE = "gone"


def _error(status: int, code: str, message: str, details: dict | None = None) -> tuple[int, bytes]:
    body = {"error": {"status": status, "code": code, "message": message, "details": details or {}}}
    return status, json.dumps(body).encode()


async def _answer(send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _credentials(headers: dict[bytes, bytes]) -> tuple[str | None, str | None]:
    """The API key and the session key the request carries, unchecked."""
    key = None
    parts = headers.get(b"authorization", b"").split()
    if len(parts) == 2 and parts[0].lower() in (b"token", b"bearer"):
        key = parts[1].decode("ascii", "replace")
    session = None
    cookie_name = settings.SESSION_COOKIE_NAME
    for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        name, _, value = part.strip().partition("=")
        if name == cookie_name and value:
            session = value
    return key, session


def _user_for(key: str | None, session_key: str | None):
    from importlib import import_module

    from django.contrib.auth import get_user

    from apps.accounts.models import ApiToken, hash_key

    if key:
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is not None and token.is_active and token.user.is_active:
            return token.user
    if session_key:
        engine = import_module(settings.SESSION_ENGINE)

        class _Request:  # get_user() needs nothing but the session
            session = engine.SessionStore(session_key)

        user = get_user(_Request())
        if user.is_authenticated:
            return user
    return None


@database_sync_to_async
def _limit_for(key: str | None, session_key: str | None) -> tuple[int, str]:
    """The body cap of the user behind these credentials, and who that is in words."""
    user = _user_for(key, session_key)
    if user is None:
        return settings.ANONYMOUS_MAX_BODY_BYTES, "a request without valid credentials"
    if user.has_perm("plots.add_plot"):
        return settings.MAX_UPLOAD_BYTES, "an upload"
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "a user who may not upload plots"


class BodyLimits:
    """ASGI middleware for HTTP: see the module docstring."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        raw_length = headers.get(b"content-length")
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        if raw_length is None and not chunked:
            return await self.app(scope, receive, send)
        length = None
        if raw_length is not None:
            if not raw_length.strip().isdigit():
                return await _answer(send, *_error(400, "bad_request", "Content-Length is not a number"))
            length = int(raw_length)
        failure, body = await self._read(headers, length, receive)
        if failure == GONE:
            return None
        if failure is not None:
            return await _answer(send, *failure)
        try:
            scope = dict(scope)
            scope["headers"] = [
                (name, value)
                for name, value in scope.get("headers") or []
                if name not in (b"content-length", b"transfer-encoding")
            ] + [(b"content-length", str(body.tell()).encode())]
            await self.app(scope, _replay(body, receive), send)
        finally:
            body.close()

    async def _read(self, headers, length: int | None, receive):
        """Spool the body within its cap: (None, file) or (error answer, None)."""
        limit, who = settings.ANONYMOUS_MAX_BODY_BYTES, None
        if length is not None:
            if length > settings.MAX_UPLOAD_BYTES:
                return self._too_large(length, settings.MAX_UPLOAD_BYTES, "any request"), None
            if length > limit:
                limit, who = await _limit_for(*_credentials(headers))
                if length > limit:
                    return self._too_large(length, limit, who), None
        timeout = settings.BODY_TIMEOUT
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
        received = 0
        try:
            while True:
                try:
                    message = await asyncio.wait_for(receive(), timeout)
                except TimeoutError:
                    expected = f" of {length:,}" if length is not None else ""
                    return _error(
                        408,
                        "request_timeout",
                        f"the request body stopped arriving: {received:,}{expected} bytes came, "
                        f"then nothing for {timeout:g} s",
                        {"received": received, "content_length": length},
                    ), self._closed(body)
                if message["type"] == "http.disconnect":
                    return GONE, self._closed(body)  # nobody is left to answer
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit and who is None:
                    limit, who = await _limit_for(*_credentials(headers))
                if received > limit:
                    return self._too_large(received, limit, who, streamed=True), self._closed(body)
                body.write(chunk)
                if not message.get("more_body", False):
                    return None, body
        except BaseException:
            body.close()
            raise

    @staticmethod
    def _closed(body) -> None:
        body.close()

    @staticmethod
    def _too_large(size: int, limit: int, who: str, streamed: bool = False) -> tuple[int, bytes]:
        what = f"the request body passed {size:,} bytes" if streamed else f"the request is {size:,} bytes"
        advice = " (sign in or send an API token to upload)" if limit == settings.ANONYMOUS_MAX_BODY_BYTES else ""
        return _error(
            413,
            "too_large",
            f"{what}, over the limit of {limit:,} for {who}{advice}",
            # The same details as the upload views' own Content-Length check.
            {"received" if streamed else "content_length": size, "limit": limit},
        )


def _replay(body, receive):
    """A receive() that hands Django the spooled body, then passes disconnects through."""
    size = body.tell()
    body.seek(0)
    done = False

    async def replay():
        nonlocal done
        if done:
            return await receive()
        chunk = body.read(REPLAY_CHUNK)
        done = body.tell() >= size
        return {"type": "http.request", "body": chunk, "more_body": not done}

    return replay
