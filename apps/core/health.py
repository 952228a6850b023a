"""What ``/healthz`` checks: each part of the portal on its own, with a message an operator can act on.

Required parts (database, broker, channel layer, media storage) decide the status code a load
balancer reads: 200 when all answer, 503 when one does not. Workers are reported, not required: a
portal without a running job is healthy, and the reaper deals with a worker that stopped beating.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, connection

from apps.core import files
from apps.core.outage import close_broken_connections

# A load balancer polls every few seconds: a part that does not answer within this is down.
TIMEOUT_SECONDS = 2.0


@dataclass
class Check:
    name: str
    ok: bool
    message: str
    required: bool = True

    def as_json(self) -> dict:
        return {"status": "ok" if self.ok else "error", "required": self.required, "message": self.message}


def _where(url: str) -> str:
    """scheme://host:port of a service URL, without the credentials it may carry."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port}" if parts.port else f"{parts.scheme}://{parts.hostname}"


def failure(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text[:300]


def database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        close_broken_connections()
        return Check("database", False, f"{connection.vendor} unavailable: {failure(exc)}")
    return Check("database", True, f"{connection.vendor} answers")


_redis_clients: dict[str, object] = {}


def _redis_ping(url: str) -> None:
    import redis

    client = _redis_clients.get(url)
    if client is None:
        client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
        _redis_clients[url] = client
    client.ping()


def _amqp_connect(url: str) -> None:
    import pika

    params = pika.URLParameters(url)
    params.socket_timeout = TIMEOUT_SECONDS
    params.blocked_connection_timeout = TIMEOUT_SECONDS
    params.connection_attempts = 1
    pika.BlockingConnection(params).close()


def broker() -> Check:
    url = settings.BROKER_URL
    if not url:
        return Check("broker", True, "in-process broker (embedded set-up)")
    try:
        if url.startswith(("amqp://", "amqps://")):
            _amqp_connect(url)
        else:
            _redis_ping(url)
    except Exception as exc:  # every client error means the same here: messages cannot be sent
        return Check("broker", False, f"{_where(url)} unreachable: {failure(exc)}")
    return Check("broker", True, f"{_where(url)} answers")


def channel_layer() -> Check:
    layer = settings.CHANNEL_LAYERS.get("default", {})
    if not layer.get("BACKEND", "").startswith("channels_redis."):
        return Check("channel_layer", True, "in-memory channel layer (one process)")
    url = ""
    try:
        host = layer["CONFIG"]["hosts"][0]
        url = host["address"] if isinstance(host, dict) else host
        _redis_ping(url)
    except Exception as exc:  # the layer's Redis is down: live page updates stop
        return Check("channel_layer", False, f"{_where(url) if url else 'redis'} unreachable: {failure(exc)}")
    return Check("channel_layer", True, f"{_where(url)} answers")


def media_storage() -> Check:
    if files.local_root() is None:
        return _object_storage()
    root = str(files.local_root())
    try:
        os.makedirs(root, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".healthz-") as probe:
            probe.write(b"ok")
            probe.flush()
    except OSError as exc:
        return Check("media", False, f"{root} is not writable: {exc.strerror or exc}")
    return Check("media", True, f"{root} is writable")


def _object_storage() -> Check:
    """Write, read back and delete a probe object: the bucket takes new images."""
    where = files.describe()
    name = f".healthz/{uuid.uuid4().hex}"
    try:
        files.put(name, b"ok", overwrite=True)
        good = files.read(name) == b"ok"
        files.delete([name])
    except Exception as exc:  # any storage or network failure: new images cannot be stored
        return Check("media", False, f"{where} is not writable: {failure(exc)}")
    if not good:
        return Check("media", False, f"{where} returned other bytes than were written")
    return Check("media", True, f"{where} is writable")


# Parts that other apps report on (apps.jobs: the workers), each called with whether the database answered.
_more_checks: list = []


def add_check(check) -> None:
    """Report ``check(database_ok) -> Check`` too, after the portal's own parts (once, however often asked)."""
    if check not in _more_checks:
        _more_checks.append(check)


def report() -> tuple[bool, dict]:
    """(healthy, JSON body): healthy when every required part is ok."""
    started = time.perf_counter()
    db = database()
    checks = [db, broker(), channel_layer(), media_storage(), *(check(db.ok) for check in _more_checks)]
    healthy = all(c.ok for c in checks if c.required)
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": {c.name: c.as_json() for c in checks},
        "failing": [c.name for c in checks if c.required and not c.ok],
        "seconds": round(time.perf_counter() - started, 3),
    }
    return healthy, body
