"""Notifications: an outbox of deliveries to e-mail, webhooks, EPICS PVs and the electronic logbook.

Other apps call ``apps.notifications.notify(...)`` inside the transaction of the event it is about
(see ``apps.notifications.services.notify``).
"""


def notify(*args, **kwargs):
    """Queue a notification (see ``apps.notifications.services.notify``)."""
    from apps.notifications.services import notify as queue

    return queue(*args, **kwargs)


def fan_out(targets, **kwargs):
    """Queue one delivery per target spec (see ``apps.notifications.services.fan_out``)."""
    from apps.notifications.services import fan_out as queue

    return queue(targets, **kwargs)
