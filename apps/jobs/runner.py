"""Queue a background task with its job record, and run its body reporting into that record."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.db import transaction

from apps.core.events import publish_on_commit
from apps.jobs.models import Job

log = logging.getLogger(__name__)


def enqueue(actor, *, kind: str, title: str = "", user=None, **params) -> Job:
    """Create a queued Job and send ``actor(job_id, **params)`` once the transaction commits."""
    job = Job.objects.create(kind=kind, title=title or kind, params=params, created_by=user)
    publish_on_commit("jobs", "jobs.update", job.as_event())
    transaction.on_commit(lambda: actor.send(job.pk, **params))
    return job


@contextmanager
def running(job_id: int):
    """Mark the job running; on an exception mark it failed (and re-raise), else done."""
    job = Job.objects.get(pk=job_id)
    job.start()
    try:
        yield job
    except Exception as exc:
        log.exception("job %s failed", job_id)
        job.fail(f"{type(exc).__name__}: {exc}")
        raise
    if job.status == Job.Status.RUNNING:
        job.finish()
