"""The scheduler: periodic tasks of every app (alarm escalations, notification delivery, briefs...).

An app registers its tasks in its ``AppConfig.ready()``::

    from apps.jobs import scheduler

    scheduler.register("alarms", 60, periodic)              # name, every (seconds), function
    scheduler.register("alarms", periodic, every=60)        # the same
    @scheduler.register("deliveries", every_seconds=2)      # or as a decorator
    def deliver(): ...

One loop runs the due ones. It runs as a thread in the serving process of the embedded set-up
(``HYDRA_SCHEDULER_IN_PROCESS``, on by default when there is no broker URL) and as
``manage.py scheduler`` (one process) in production. Two started by mistake are safe: a loop runs
tasks only while it holds the lease (a ``SchedulerLease`` row taken with ``UPDATE ... WHERE
expires_at < now OR owner = me`` and renewed every tick), and each run is claimed on the task's
``ScheduledTask`` row (``UPDATE ... WHERE last_started_at <= now - every``), so a task runs once
per period even when a stalled scheduler wakes up after the lease passed on. A task's errors are
logged and recorded on its row; they never stop the loop.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

log = logging.getLogger(__name__)
LEASE = "scheduler"


@dataclass(frozen=True)
class Task:
    name: str
    every: float
    func: Callable[[], object]


_registry: dict[str, Task] = {}
_registry_lock = threading.Lock()
_thread: Scheduler | None = None


def register(name: str, every_seconds=None, func=None, *, every: float | None = None):
    """Register ``func`` to run every ``every_seconds`` seconds under ``name`` (registering a name again replaces it).

    Accepts ``register(name, seconds, func)``, ``register(name, func, every=seconds)`` and, without a
    function, returns a decorator: ``@register(name, every_seconds=seconds)``.
    """
    if callable(every_seconds) and func is None:
        every_seconds, func = every, every_seconds
    elif every_seconds is None:
        every_seconds = every
    if every_seconds is None:
        raise ValueError(f"scheduled task {name!r} needs a period (every_seconds)")
    seconds = float(every_seconds)
    if seconds <= 0:
        raise ValueError(f"scheduled task {name!r}: the period must be above 0 seconds, not {every_seconds!r}")
    if not name or len(name) > 100:
        raise ValueError("a scheduled task needs a name of 1 to 100 characters")

    def add(function):
        with _registry_lock:
            _registry[name] = Task(name, seconds, function)
        return function

    return add if func is None else add(func)


def unregister(name: str) -> None:
    with _registry_lock:
        _registry.pop(name, None)


def tasks() -> list[Task]:
    with _registry_lock:
        return sorted(_registry.values(), key=lambda t: t.name)


def new_owner() -> str:
    """A name for one scheduler loop: host, process and a random tail (a restarted pid is another owner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_seconds() -> float:
    return float(getattr(settings, "SCHEDULER_LEASE_SECONDS", 15.0))


def tick_seconds() -> float:
    return float(getattr(settings, "SCHEDULER_TICK_SECONDS", 1.0))


def take_lease(owner: str, seconds: float | None = None) -> bool:
    """Take or renew the scheduler lease for ``owner``; True while it holds it."""
    from apps.jobs.models import SchedulerLease

    now = timezone.now()
    until = now + timedelta(seconds=seconds if seconds is not None else lease_seconds())
    if SchedulerLease.objects.filter(name=LEASE, owner=owner).update(expires_at=until):
        return True
    if SchedulerLease.objects.filter(name=LEASE, expires_at__lt=now).update(
        owner=owner, expires_at=until, taken_at=now
    ):
        log.info("scheduler %s took the lease", owner)
        return True
    if not SchedulerLease.objects.filter(name=LEASE).exists():
        try:
            with transaction.atomic():
                SchedulerLease.objects.create(name=LEASE, owner=owner, expires_at=until, taken_at=now)
            log.info("scheduler %s took the lease", owner)
            return True
        except IntegrityError:  # another scheduler created it at the same moment: it holds it
            return False
    return False


def release_lease(owner: str) -> None:
    """Hand the lease back at a clean stop, so another scheduler takes over at once."""
    from apps.jobs.models import SchedulerLease

    SchedulerLease.objects.filter(name=LEASE, owner=owner).update(owner="", expires_at=timezone.now())


def lease_holder():
    """The current lease row (owner and expiry), or None before any scheduler ran."""
    from apps.jobs.models import SchedulerLease

    return SchedulerLease.objects.filter(name=LEASE).first()


def _claim(task: Task, owner: str) -> bool:
    """Claim this period's run of ``task``; False when it ran less than a period ago (here or elsewhere)."""
    from apps.jobs.models import ScheduledTask

    now = timezone.now()
    due = Q(last_started_at__isnull=True) | Q(last_started_at__lte=now - timedelta(seconds=task.every))
    claimed = ScheduledTask.objects.filter(due, name=task.name).update(
        last_started_at=now, last_owner=owner, every_seconds=task.every
    )
    if claimed:
        return True
    if not ScheduledTask.objects.filter(name=task.name).exists():
        try:
            with transaction.atomic():
                ScheduledTask.objects.create(
                    name=task.name, every_seconds=task.every, last_started_at=now, last_owner=owner
                )
            return True
        except IntegrityError:
            return False
    return False


def run_task(task: Task, owner: str = "") -> bool:
    """Run ``task`` once now, timed; record the outcome on its row. Returns True when it succeeded."""
    from apps.jobs.models import ScheduledTask

    started = time.monotonic()
    error, result = "", {}
    try:
        value = task.func()
        if isinstance(value, dict):
            result = {str(k): v for k, v in value.items() if isinstance(v, (int, float, str, bool, type(None)))}
    except Exception as exc:
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
        log.exception("scheduled task %s failed", task.name)
    finally:
        close_old_connections()
    took = time.monotonic() - started
    if took > task.every:
        log.warning("scheduled task %s took %.1f s, longer than its period (%g s)", task.name, took, task.every)
    else:
        log.debug("scheduled task %s took %.3f s", task.name, took)
    fields = {"last_finished_at": timezone.now(), "last_duration": took, "last_error": error, "runs": F("runs") + 1}
    if error:
        fields["failures"] = F("failures") + 1
    else:
        fields["last_result"] = result
    try:
        ScheduledTask.objects.filter(name=task.name).update(**fields)
    except Exception:
        log.exception("could not record the run of scheduled task %s", task.name)
    return not error


def run_due(owner: str, only: set[str] | None = None) -> list[str]:
    """One tick for a lease holder: run each due task (claimed first). Returns the names run."""
    ran = []
    for task in tasks():
        if only and task.name not in only:
            continue
        if not take_lease(owner):  # a long task may have outlived the lease: stop if it passed on
            break
        if _claim(task, owner):
            run_task(task, owner)
            ran.append(task.name)
    return ran


class Scheduler(threading.Thread):
    """The loop: every tick, take or renew the lease and run the due tasks while holding it."""

    def __init__(self, tick: float | None = None, only: set[str] | None = None, owner: str | None = None):
        super().__init__(name="hydra-scheduler", daemon=True)
        self.tick = tick if tick is not None else tick_seconds()
        self.only = only
        self.owner = owner or new_owner()
        self.holding = False
        self.stopped = threading.Event()

    def step(self) -> list[str]:
        holding = take_lease(self.owner)
        if holding != self.holding:
            log.info("scheduler %s %s", self.owner, "runs the periodic tasks" if holding else "waits (lease held)")
            self.holding = holding
        return run_due(self.owner, self.only) if holding else []

    def run(self):
        failures = 0
        while not self.stopped.is_set():
            wait = self.tick
            try:
                self.step()
                failures = 0
            except Exception as exc:  # the database away: try again, slower
                failures += 1
                wait = min(30.0, self.tick * 2**failures)
                log.warning("scheduler tick failed (%s); next in %.0f s", exc, wait)
            finally:
                close_old_connections()
            self.stopped.wait(wait)
        try:
            release_lease(self.owner)
        except Exception:
            pass
        connection.close()

    def stop(self, timeout: float = 10.0):
        self.stopped.set()
        self.join(timeout=timeout)


def start_scheduler() -> Scheduler:
    """Start this process's scheduler thread (once)."""
    global _thread
    with _registry_lock:
        if _thread is None or not _thread.is_alive():
            _thread = Scheduler()
            _thread.start()
        return _thread


def in_process() -> bool:
    """Whether the serving process runs the scheduler itself (the embedded set-up, or asked for)."""
    return bool(getattr(settings, "SCHEDULER_IN_PROCESS", False))
