"""Two real ``manage.py scheduler`` processes on one database: a task runs once per period, and the
lease passes to the second when the first is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from apps.jobs.models import ScheduledTask, SchedulerLease
from tests.job_processes import ROOT, database_url

pytestmark = pytest.mark.django_db(transaction=True)
PERIOD = 1.0
LEASE = 2.0


def start(log, out):
    env = {
        **os.environ,
        "HYDRA_DEBUG": "true",
        "HYDRA_DATABASE_URL": database_url(),
        "HYDRA_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "HYDRA_SCHEDULER_LEASE": str(LEASE),
        "HYDRA_TEST_SCHEDULER_LOG": str(log),
        "HYDRA_TEST_SCHEDULER_PERIOD": str(PERIOD),
    }
    argv = [sys.executable, "manage.py", "scheduler", "--import", "tests.scheduler_tasks", "--only", "probe"]
    argv += ["--tick", "0.1"]
    with open(out, "ab") as sink:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)


def runs(log) -> list[tuple[int, float]]:
    if not log.exists():
        return []
    return [(int(pid), float(at)) for pid, at in (line.split() for line in log.read_text().splitlines() if line)]


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_two_schedulers_run_each_task_once_per_period_and_the_lease_passes_on(tmp_path):
    log, out = tmp_path / "runs.log", tmp_path / "scheduler.out"
    first = start(log, out)
    second = None
    try:
        wait_for(lambda: runs(log), 60, f"the first scheduler's first run: {out.read_text(errors='replace')}")
        second = start(log, out)
        time.sleep(6)  # both run now; only the lease holder runs the task
        seen = runs(log)
        assert {pid for pid, _ in seen} == {first.pid}, "the second scheduler ran while the first held the lease"
        assert 5 <= len(seen) <= 9, seen
        gaps = [b - a for (_, a), (_, b) in zip(seen, seen[1:], strict=False)]
        assert min(gaps) >= PERIOD * 0.9, gaps

        first.send_signal(signal.SIGKILL)  # no clean release: the lease must expire
        first.wait(timeout=10)
        killed_at = time.time()
        wait_for(
            lambda: any(pid == second.pid for pid, _ in runs(log)), LEASE + 20, "the second scheduler to take over"
        )
        taken = [at for pid, at in runs(log) if pid == second.pid][0]
        assert taken - killed_at <= LEASE + 3.0

        time.sleep(3)
        seen = runs(log)
        gaps = [b - a for (_, a), (_, b) in zip(seen, seen[1:], strict=False)]
        assert min(gaps) >= PERIOD * 0.9, gaps  # never twice in a period, across the hand-over
        after = [pid for pid, at in seen if at > killed_at]
        assert set(after) == {second.pid} and len(after) >= 3

        lease = SchedulerLease.objects.get()
        assert lease.owner.split(":")[1] == str(second.pid)
        task = ScheduledTask.objects.get(name="probe")
        assert task.runs >= len(seen) - 1 and task.failures == 0 and task.last_result == {"pid": second.pid}
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def test_a_clean_stop_hands_the_lease_back_at_once(tmp_path):
    log, out = tmp_path / "runs.log", tmp_path / "scheduler.out"
    proc = start(log, out)
    try:
        wait_for(lambda: runs(log), 60, f"the scheduler's first run: {out.read_text(errors='replace')}")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    lease = SchedulerLease.objects.get()
    assert lease.owner == "" and proc.returncode == 0, out.read_text(errors="replace")
