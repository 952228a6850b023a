"""The relay: hands the messages waiting in the outbox (queued jobs never sent) to the broker, and
queues again the jobs whose worker stopped heartbeating.

It runs as a thread in the serving process, in each worker process, and as ``manage.py relay``.
Several may run at once: rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` where the
database has it, and a message sent twice still starts its job once (see ``runner.start``).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import dramatiq
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.jobs.models import Job
from apps.jobs.runner import WAITING, requeue_or_fail

log = logging.getLogger(__name__)
BATCH = 100
MAX_BACKOFF = 30.0

_lock = threading.Lock()
_backoff = {"failures": 0, "until": 0.0}
_relay: Relay | None = None
_actors_declared = False
# Jobs this process left to the serving process's relay (see hands_off).
_handed_off: list[int] = []


def _declare_actors():
    global _actors_declared
    if not _actors_declared:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")  # every app's actors, so they can be found by name
        _actors_declared = True


def hands_off() -> bool:
    """True where messages must wait for the serving process: the embedded broker in a short-lived command."""
    return getattr(dramatiq.get_broker(), "hand_off", False)


def backing_off() -> bool:
    return time.monotonic() < _backoff["until"]


def _broker_failed() -> float:
    with _lock:
        _backoff["failures"] += 1
        delay = min(MAX_BACKOFF, 0.5 * 2 ** _backoff["failures"])
        _backoff["until"] = time.monotonic() + delay
        return delay


def _broker_ok():
    with _lock:
        _backoff["failures"], _backoff["until"] = 0, 0.0


def _unsent():
    return Job.objects.filter(status=Job.Status.QUEUED, sent_at__isnull=True).exclude(actor="")


def deliver(ids=None) -> list[int]:
    """Send the messages of unsent queued jobs (all, or those of ``ids``); return the ids sent.

    Raises the broker's error after recording what was sent before it; the rest stay unsent.
    """
    _declare_actors()
    broker = dramatiq.get_broker()
    rows = _unsent().order_by("id")
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    elif connection.features.has_select_for_update:
        rows = rows.select_for_update()
    sent, error = [], None
    with transaction.atomic():
        for job in rows[:BATCH]:
            try:
                actor = broker.get_actor(job.actor)
            except dramatiq.errors.ActorNotFound:
                job.fail(f"no task named {job.actor!r} in this portal")
                continue
            try:
                broker.enqueue(actor.message(job.pk, **job.params))
            except Exception as exc:
                error = exc
                break
            sent.append(job.pk)
        if sent:
            Job.objects.filter(pk__in=sent, sent_at__isnull=True).update(sent_at=timezone.now())
        Job.objects.filter(pk__in=sent, message=WAITING).update(message="queued")
    if error is not None:
        raise error
    return sent


def deliver_soon(job_id: int, defer: bool = False) -> None:
    """Right after the commit that queued it: send the job's message now if the broker is reachable.

    Failing is fine: the message stays in the outbox and a relay sends it when the broker returns.
    """
    if defer or hands_off():
        _handed_off.append(job_id)
        return
    if backing_off():
        return
    try:
        deliver([job_id])
        _broker_ok()
    except Exception as exc:
        delay = _broker_failed()
        log.warning("broker unavailable (%s); job %s waits in the outbox, retry in %.0f s", exc, job_id, delay)


def waiting_count() -> int:
    return _unsent().count()


def queued_here() -> list[int]:
    """The jobs this process queued for the serving process that are still waiting to be sent."""
    return list(_unsent().filter(pk__in=_handed_off).order_by("id").values_list("pk", flat=True))


def stale_jobs():
    """Running jobs whose worker has not stamped them for longer than the heartbeat timeout."""
    limit = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT)
    return Job.objects.filter(status=Job.Status.RUNNING).filter(
        Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, started_at__lt=limit)
    )


def reap() -> dict[str, int]:
    """Queue again (or fail, after the last attempt) the jobs whose worker died."""
    counts = {"requeued": 0, "failed": 0}
    reason = f"its worker stopped (no heartbeat for {settings.JOB_HEARTBEAT_TIMEOUT:g} s)"
    for job in stale_jobs().order_by("id")[:BATCH]:
        outcome = requeue_or_fail(job, reason)
        if outcome:
            log.warning("job %s (%s) %s: %s", job.pk, job.kind, outcome, reason)
            counts[outcome] += 1
    return counts


def relay_once() -> dict[str, int]:
    """One pass: reap, then send. Raises the broker's error (the caller backs off)."""
    counts = reap()
    counts["sent"] = 0 if backing_off() else len(deliver())
    _broker_ok()
    return counts


class Relay(threading.Thread):
    """A relay pass every RELAY_INTERVAL seconds, backing off while the broker or database is away."""

    def __init__(self, interval: float | None = None):
        super().__init__(name="hydra-relay", daemon=True)
        self.interval = interval if interval is not None else settings.RELAY_INTERVAL
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            wait = self.interval
            try:
                counts = relay_once()
                if counts["sent"] or counts["requeued"] or counts["failed"]:
                    log.info("relay: %s", counts)
            except Exception as exc:
                wait = max(wait, _broker_failed())
                log.warning("relay pass failed (%s); next in %.0f s", exc, wait)
            finally:
                close_old_connections()
            self.stopped.wait(wait)
        connection.close()

    def stop(self):
        self.stopped.set()
        self.join(timeout=10)


def start_relay() -> Relay:
    """Start this process's relay thread (once)."""
    global _relay
    with _lock:
        if _relay is None or not _relay.is_alive():
            _relay = Relay()
            _relay.start()
        return _relay


def resend_older_than(seconds: float) -> int:
    """Put back in the outbox the queued jobs sent more than ``seconds`` ago and never started.

    For messages the broker itself lost (a Redis without persistence restarted, a purged queue).
    A job whose first message does arrive after all still starts once: the later one is skipped.
    """
    limit = timezone.now() - timedelta(seconds=seconds)
    return Job.objects.filter(status=Job.Status.QUEUED, sent_at__lt=limit).exclude(actor="").update(sent_at=None)


def recover_embedded(process_started) -> dict[str, int]:
    """In a new serving process of the embedded set-up: jobs the last one held died with it.

    Their messages lived in its memory: running jobs are queued again (or failed, after the last
    attempt), and sent-but-unstarted ones go back to the outbox.
    """
    counts = {"requeued": 0, "failed": 0, "resent": 0}
    for job in Job.objects.filter(status=Job.Status.RUNNING, started_at__lt=process_started):
        outcome = requeue_or_fail(job, "the portal stopped while it ran")
        if outcome:
            counts[outcome] += 1
    counts["resent"] = Job.objects.filter(status=Job.Status.QUEUED, sent_at__lt=process_started).update(sent_at=None)
    return counts
