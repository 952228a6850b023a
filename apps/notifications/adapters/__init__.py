"""One module per channel, each with ``send(delivery)``: it returns when the peer took the message
and raises otherwise. ``PermanentError`` means trying again cannot help (the channel is not set up,
the peer refused the message itself): the delivery fails at once with the reason.
"""

from __future__ import annotations

import importlib


class PermanentError(Exception):
    """The message cannot be delivered by trying again."""


MODULES = {
    "email": "apps.notifications.adapters.email",
    "webhook": "apps.notifications.adapters.webhook",
    "epics": "apps.notifications.adapters.epics",
    "logbook": "apps.notifications.adapters.logbook",
}


def send(delivery) -> None:
    """Hand ``delivery`` to its channel's adapter."""
    name = MODULES.get(delivery.channel)
    if name is None:
        raise PermanentError(f"no adapter for channel {delivery.channel!r}")
    importlib.import_module(name).send(delivery)
