"""Push events to browsers over the Channels layer.

One event shape for every page: ``{"type": "<topic>.<what>", "payload": {...}}`` sent to
the group ``hydra.<topic>``. Pages subscribe to the topics they show.

Each event also carries ``source`` (this process and the topic) and ``seq`` (1, 2, 3… per source):
a page that sees a number skipped lost an event (a full channel, a failed send) and re-syncs. One
counter per process needs no shared store; a page tracks each source on its own.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

TOPICS = ("plots", "labels", "jobs", "verdicts", "validation", "alerts", "notifications")


def group_name(topic: str) -> str:
    return f"hydra.{topic}"


# The in-memory layer's queues belong to the event loop that serves the websockets. Events
# sent from other threads (in-process workers, the feeder) are handed to that loop.
_server_loop: asyncio.AbstractEventLoop | None = None


def register_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _server_loop
    _server_loop = loop


_counters: dict[str, itertools.count] = {}
_counters_pid: int | None = None
_process = ""
_counters_lock = threading.Lock()


def _stamp(topic: str) -> tuple[str, int]:
    """This process's source name for ``topic`` and the event's number in it."""
    global _counters_pid, _process
    with _counters_lock:
        if _counters_pid != os.getpid():  # a forked worker must not continue its parent's numbers
            _counters_pid, _process = os.getpid(), uuid.uuid4().hex[:12]
            _counters.clear()
        counter = _counters.setdefault(topic, itertools.count(1))
        return f"{_process}.{topic}", next(counter)


def publish(topic: str, event_type: str, payload: dict) -> None:
    """Send an event now. A layer that is down is logged, never raised: the data is already saved."""
    layer = get_channel_layer()
    if layer is None:
        return
    source, seq = _stamp(topic)  # taken even if the send fails: listeners then see the gap
    message = {"type": "hydra.event", "event": event_type, "payload": payload, "source": source, "seq": seq}
    send = partial(layer.group_send, group_name(topic), message)
    try:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        loop = _server_loop
        if isinstance(layer, InMemoryChannelLayer) and loop is not None and loop.is_running() and running is not loop:
            asyncio.run_coroutine_threadsafe(send(), loop).result(5)
        elif running is not None:
            # Sync code called from a thread whose event loop is busy: async_to_sync cannot run
            # here, so the message goes out from a helper thread.
            with ThreadPoolExecutor(1) as helper:
                helper.submit(async_to_sync(send)).result(10)
        else:
            async_to_sync(send)()
    except Exception:
        log.exception("could not publish %s on %s", event_type, topic)


def publish_on_commit(topic: str, event_type: str, payload: dict) -> None:
    """Send an event once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: publish(topic, event_type, payload))
