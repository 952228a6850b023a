"""The scheduler's registry, lease and loop, in this process (tests/test_scheduler_processes.py runs two real ones)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.jobs import scheduler
from apps.jobs.models import ScheduledTask, SchedulerLease

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def registry():
    saved = dict(scheduler._registry)
    scheduler._registry.clear()
    yield scheduler._registry
    scheduler._registry.clear()
    scheduler._registry.update(saved)


def test_register_takes_every_form(registry):
    def a():
        pass

    scheduler.register("a", 5, a)
    scheduler.register("b", a, every=7)

    @scheduler.register("c", every_seconds=0.5)
    def c():
        pass

    assert [(t.name, t.every, t.func) for t in scheduler.tasks()] == [("a", 5.0, a), ("b", 7.0, a), ("c", 0.5, c)]
    with pytest.raises(ValueError, match="above 0"):
        scheduler.register("d", 0, a)
    with pytest.raises(ValueError, match="needs a period"):
        scheduler.register("e", a)


def test_the_apps_register_their_periodic_work():
    names = {task.name for task in scheduler.tasks()}
    assert "alarms" in names


def test_one_owner_holds_the_lease_until_it_expires():
    assert scheduler.take_lease("one", seconds=60)
    assert not scheduler.take_lease("two", seconds=60)
    assert scheduler.take_lease("one", seconds=60)  # renewal
    SchedulerLease.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert scheduler.take_lease("two", seconds=60)
    assert not scheduler.take_lease("one", seconds=60)
    scheduler.release_lease("two")
    assert scheduler.take_lease("one", seconds=60)
    assert SchedulerLease.objects.get().owner == "one"


def test_a_run_is_claimed_once_per_period_whoever_asks(registry):
    calls = []
    scheduler.register("t", 60, lambda: calls.append(1))
    task = scheduler.tasks()[0]
    assert scheduler._claim(task, "one")
    assert not scheduler._claim(task, "two")
    ScheduledTask.objects.update(last_started_at=timezone.now() - dt.timedelta(seconds=61))
    assert scheduler._claim(task, "two")
    assert ScheduledTask.objects.get().last_owner == "two"


def test_errors_are_recorded_and_the_loop_goes_on(registry):
    good = threading.Event()
    scheduler.register("boom", 0.1, lambda: 1 / 0)
    scheduler.register("good", 0.1, lambda: good.set() or {"done": 1})
    loop = scheduler.Scheduler(tick=0.05, owner="test")
    loop.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and ScheduledTask.objects.filter(name="boom", runs__gte=3).count() == 0:
            time.sleep(0.05)
    finally:
        loop.stop(timeout=60)
    boom, fine = ScheduledTask.objects.get(name="boom"), ScheduledTask.objects.get(name="good")
    assert boom.runs >= 3 and boom.failures == boom.runs and "ZeroDivisionError" in boom.last_error
    assert fine.runs >= 3 and fine.failures == 0 and fine.last_result == {"done": 1} and fine.last_duration >= 0
    assert loop.is_alive() is False and SchedulerLease.objects.get().owner == ""  # released at the stop


def test_the_command_lists_and_runs_once(registry, capsys):
    scheduler.register("t", 60, lambda: {"n": 3})
    call_command("scheduler", "--once")
    assert "ran 1 task(s): t" in capsys.readouterr().out
    call_command("scheduler", "--list")
    assert "1 runs, 0 failed" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no task named nope"):
        call_command("scheduler", "--only", "nope")
    SchedulerLease.objects.update(owner="other", expires_at=timezone.now() + dt.timedelta(seconds=60))
    with pytest.raises(CommandError, match="another scheduler holds the lease"):
        call_command("scheduler", "--once")
