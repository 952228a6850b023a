"""The workers' part of ``/healthz`` (``apps.core.health``): running and queued jobs, the newest heartbeat."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from apps.core.health import Check, failure
from apps.core.outage import close_broken_connections
from apps.jobs.models import Job


def workers(database_ok: bool) -> Check:
    if not database_ok:
        return Check("workers", False, "unknown while the database is unavailable", required=False)
    try:
        running = Job.objects.filter(status=Job.Status.RUNNING)
        count = running.count()
        queued = Job.objects.filter(status=Job.Status.QUEUED).count()
        newest = running.exclude(heartbeat_at=None).order_by("-heartbeat_at").values_list("heartbeat_at", flat=True)
        newest = newest.first()
    except DatabaseError as exc:
        close_broken_connections()
        return Check("workers", False, f"unknown: {failure(exc)}", required=False)
    message = f"{count} running, {queued} queued"
    if not count:
        return Check("workers", True, message, required=False)
    if newest is None:
        return Check("workers", True, f"{message}; no heartbeat yet", required=False)
    age = (timezone.now() - newest).total_seconds()
    limit = getattr(settings, "JOB_HEARTBEAT_TIMEOUT", 120.0)
    message = f"{message}; newest heartbeat {age:.0f} s ago"
    if age > limit:
        return Check("workers", False, f"{message}, over the {limit:.0f} s limit: no worker alive", required=False)
    return Check("workers", True, message, required=False)
