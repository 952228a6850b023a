"""Queue a background task with its job record, and run its body reporting into that record.

The job row is the outbox of its message: ``enqueue`` writes it in the caller's transaction and
the relay (``apps.jobs.relay``) hands it to the broker once that transaction has committed. A
message can reach a worker twice (a relay that died after sending, a broker's re-delivery); only
one start succeeds (queued → running), so a job runs once per attempt.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from dramatiq.middleware import SkipMessage

from apps.core.events import publish_on_commit
from apps.jobs.models import Job

log = logging.getLogger(__name__)


INTERRUPTED = "interrupted: the portal stopped before this job ended"
WAITING = "starts when the portal serves"
# Seconds a worker keeps trying to mark its job started while the database is away.
START_PATIENCE = 60.0
# Sent with ``jobs`` (a list of Job) when jobs end failed because their process died, so apps can
# settle what those jobs left (a model left "training").
jobs_interrupted = Signal()
# Sent with ``jobs`` when jobs whose worker died are queued again for another attempt.
jobs_requeued = Signal()


# Jobs whose body runs in this process now, and those of them it handed back when its worker stopped.
_here: set[int] = set()
_handed_back: set[int] = set()
_here_lock = threading.Lock()


class JobTaken(SkipMessage):
    """The message's job is not queued any more: another delivery of it started it, or it ended."""


def enqueue(actor, *, kind: str, title: str = "", user=None, defer: bool = False, **params) -> Job:
    """Create a queued Job whose message ``actor(job_id, **params)`` is sent once the transaction commits.

    ``actor`` is a Dramatiq actor or its name: the relay finds the actor by name when it sends, so
    a caller need not import the module that declares it (and that module may import the caller).

    The job commits with the caller's data or not at all; if the broker cannot take the message
    then, the relay sends it later. ``defer`` leaves the message to the serving process's relay
    (the embedded set-up's in-process worker would die with a short-lived command).
    """
    from apps.jobs import relay

    job = Job.objects.create(
        kind=kind,
        title=title or kind,
        params=params,
        created_by=user,
        actor=getattr(actor, "actor_name", actor),
        message=WAITING if defer else "",
    )
    publish_on_commit("jobs", "jobs.update", job.as_event())
    transaction.on_commit(lambda: relay.deliver_soon(job.pk, defer=defer))
    return job


def _with_database(step, patience: float = START_PATIENCE):
    """Run ``step``; after a dead connection (a database restart), reconnect and try again for up to
    ``patience`` seconds: a job whose start cannot be recorded would otherwise be lost with its message."""
    deadline = time.monotonic() + patience
    delay = 0.5
    while True:
        try:
            return step()
        except (OperationalError, InterfaceError):
            if time.monotonic() + delay > deadline:
                raise
            log.warning("database unavailable; marking the job started again in %.1f s", delay, exc_info=True)
            connection.close()
            time.sleep(delay)
            delay = min(delay * 2, 8.0)


def start(job_id: int) -> Job:
    """Mark the queued job running (one attempt more); raise JobTaken when it is not queued."""

    def claim():
        now = timezone.now()
        return Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
            attempts=F("attempts") + 1,
            message="started",
        )

    if not _with_database(claim):
        raise JobTaken(f"job {job_id} is not queued")
    job = Job.objects.get(pk=job_id)
    job.append_log("started" if job.attempts == 1 else f"started (attempt {job.attempts})")
    publish_on_commit("jobs", "jobs.update", job.as_event())
    return job


class Heartbeat(threading.Thread):
    """Stamps the running job every few seconds from beside the task, so a dead worker shows."""

    def __init__(self, job_id: int):
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.job_id = job_id
        self.stopped = threading.Event()

    def run(self):
        try:
            while not self.stopped.wait(settings.JOB_HEARTBEAT_INTERVAL):
                try:
                    Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING).update(heartbeat_at=timezone.now())
                except Exception:  # the database may be away for a while; the next beat tries again
                    log.warning("heartbeat of job %s failed", self.job_id, exc_info=True)
                    close_old_connections()
        finally:
            connection.close()

    def stop(self):
        self.stopped.set()
        self.join(timeout=10)


@contextmanager
def running(job_id: int):
    """Start the job and heartbeat it; on an exception mark it failed (and re-raise), else done.

    A job that is not queued any more raises JobTaken, which the worker skips quietly.
    """
    job = start(job_id)
    with _here_lock:
        _here.add(job.pk)
    beat = Heartbeat(job.pk)
    beat.start()
    try:
        yield job
    except Exception as exc:
        if job.pk in _handed_back:
            raise  # queued again already (see hand_back_running): the next attempt decides
        log.exception("job %s failed", job_id)
        job.fail(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        beat.stop()
        with _here_lock:
            _here.discard(job.pk)
    if job.status == Job.Status.RUNNING and job.pk not in _handed_back:
        job.finish()


def hand_back_running(reason: str = "its worker stopped before the job ended") -> list[int]:
    """Queue again (or fail, after the last attempt) the jobs still running in this process; their ids.

    A stopping worker calls this once its shutdown timeout has passed with a job unfinished: the job
    goes back to the outbox at once (a model in training back to queued, to resume from its checkpoint)
    instead of waiting for the reaper to notice the missing heartbeat.
    """
    with _here_lock:
        ids = sorted(_here)
        _handed_back.update(ids)
    handed = []
    try:
        for job in Job.objects.filter(pk__in=ids, status=Job.Status.RUNNING):
            if requeue_or_fail(job, reason):
                log.warning("job %s (%s) handed back: %s", job.pk, job.kind, reason)
                handed.append(job.pk)
    finally:
        connection.close()
    return handed


def requeue_or_fail(job: Job, reason: str) -> str | None:
    """Queue a job whose worker died again, or fail it after its last attempt; say which ("requeued", "failed").

    The change is conditional on the row being as read, so two reapers never both act on one job.
    """
    now = timezone.now()
    same = Job.objects.filter(pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at, attempts=job.attempts)
    if job.attempts >= settings.JOB_MAX_ATTEMPTS:
        message = f"failed after {job.attempts} attempts: {reason}"[:500]
        changed = same.update(status=Job.Status.FAILED, finished_at=now, message=message)
        outcome = "failed"
    else:
        message = f"queued again after attempt {job.attempts}: {reason}"[:500]
        changed = same.update(status=Job.Status.QUEUED, sent_at=None, heartbeat_at=None, progress=0.0, message=message)
        outcome = "requeued"
    if not changed:
        return None
    job.refresh_from_db()
    job.append_log(message)
    publish_on_commit("jobs", "jobs.update", job.as_event())
    (jobs_interrupted if outcome == "failed" else jobs_requeued).send(sender=Job, jobs=[job])
    return outcome


def fail_interrupted() -> list[Job]:
    """Mark failed the jobs a stopped process left running or sent (embedded set-up only).

    With the in-process broker a job runs only inside the process that serves the portal; when
    a new one starts, a job still running, or queued and already sent, died with the last one.
    Jobs whose message is still in the outbox are left for the relay.
    """
    jobs = list(
        Job.objects.filter(status__in=[Job.Status.RUNNING, Job.Status.QUEUED]).exclude(
            status=Job.Status.QUEUED, sent_at__isnull=True
        )
    )
    for job in jobs:
        job.fail(INTERRUPTED)
    if jobs:
        jobs_interrupted.send(sender=Job, jobs=jobs)
    return jobs
