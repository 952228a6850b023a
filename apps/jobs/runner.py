"""Queue a background task with its job record, and run its body reporting into that record."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.db import transaction
from django.dispatch import Signal

from apps.core.events import publish_on_commit
from apps.jobs.models import Job

log = logging.getLogger(__name__)


# The params key naming the actor of a job held back until the portal serves (see send_deferred).
DEFERRED = "_deferred_actor"
INTERRUPTED = "interrupted: the portal stopped before this job ended"
# Sent with ``jobs`` (a list of Job) after fail_interrupted, so apps can settle what those jobs left.
jobs_interrupted = Signal()


def enqueue(actor, *, kind: str, title: str = "", user=None, defer: bool = False, **params) -> Job:
    """Create a queued Job and send ``actor(job_id, **params)`` once the transaction commits.

    ``defer`` holds the message back until ``send_deferred`` runs in the serving process: with the
    in-process broker of the embedded set-up, a message sent by a short-lived command would die
    with that command.
    """
    if defer:
        return Job.objects.create(
            kind=kind,
            title=title or kind,
            params={**params, DEFERRED: actor.actor_name},
            message="starts when the portal serves",
            created_by=user,
        )
    job = Job.objects.create(kind=kind, title=title or kind, params=params, created_by=user)
    publish_on_commit("jobs", "jobs.update", job.as_event())
    transaction.on_commit(lambda: actor.send(job.pk, **params))
    return job


def send_deferred() -> list[Job]:
    """Send the messages of queued jobs held back by ``enqueue(defer=True)``; each is sent once."""
    import dramatiq
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("tasks")  # declare every app's actors before looking them up by name
    broker = dramatiq.get_broker()
    sent = []
    for job in Job.objects.filter(status=Job.Status.QUEUED, params__has_key=DEFERRED).order_by("id"):
        params = dict(job.params)
        actor = broker.get_actor(params.pop(DEFERRED))
        # Claimed by rewriting the params: a second process sees the key gone and sends nothing.
        with transaction.atomic():
            claimed = Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED, params__has_key=DEFERRED).update(
                params=params, message="queued"
            )
        if claimed:
            actor.send(job.pk, **params)
            sent.append(job)
    return sent


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


def fail_interrupted() -> list[Job]:
    """Mark failed the jobs a stopped process left queued or running (embedded set-up only).

    With the in-process broker a job runs only inside the process that serves the portal; when
    a new one starts, a job still running, or queued and already sent, died with the last one.
    Left as it is, its progress bar would wait forever.
    """
    jobs = list(
        Job.objects.filter(status__in=[Job.Status.RUNNING, Job.Status.QUEUED]).exclude(params__has_key=DEFERRED)
    )
    for job in jobs:
        job.fail(INTERRUPTED)
    if jobs:
        jobs_interrupted.send(sender=Job, jobs=jobs)
    return jobs
