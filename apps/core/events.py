"""Push events to browsers over the Channels layer.

One event shape for every page: ``{"type": "<topic>.<what>", "payload": {...}}`` sent to
the group ``hydra.<topic>``. Pages subscribe to the topics they show.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

TOPICS = ("plots", "labels", "jobs", "verdicts")


def group_name(topic: str) -> str:
    return f"hydra.{topic}"


def publish(topic: str, event_type: str, payload: dict) -> None:
    """Send an event now. A layer that is down is logged, never raised: the data is already saved."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "hydra.event", "event": event_type, "payload": payload}
    try:
        async_to_sync(layer.group_send)(group_name(topic), message)
    except Exception:
        log.exception("could not publish %s on %s", event_type, topic)


def publish_on_commit(topic: str, event_type: str, payload: dict) -> None:
    """Send an event once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: publish(topic, event_type, payload))
