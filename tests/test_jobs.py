"""Background tasks run through the configured Dramatiq broker and report into job records."""

import asyncio
import io
import time
from datetime import timedelta

import dramatiq
import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from apps.jobs import relay
from apps.jobs.models import Job
from apps.jobs.runner import enqueue, running
from apps.plots.models import Plot
from apps.plots.tasks import ingest_directory
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def write_tree(root, count, seed=0):
    folder = root / "RunPeriod-2021-08" / "Run080464"
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"FCAL_occupancy_{i:04d}.png").write_bytes(factories.png_bytes(40, 30, seed + i))
    (folder / "broken_0001.png").write_bytes(b"not an image")


def test_an_ingest_job_runs_on_the_worker_and_ends_done_with_counts(worker, tmp_path):
    exp = factories.experiment()
    write_tree(tmp_path / "in", 5)
    job = enqueue(ingest_directory, kind="ingest", path=str(tmp_path / "in"), experiment=exp.pk)
    worker.join("ingest", timeout=60_000)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert job.progress == 1.0
    assert job.result == {"new": 5, "duplicate": 0, "rejected": 1}
    assert "broken_0001.png" in job.log
    assert Plot.objects.filter(experiment=exp).count() == 5


def test_a_failing_job_is_marked_failed_with_the_error(worker, tmp_path):
    job = enqueue(ingest_directory, kind="ingest", path=str(tmp_path), experiment=999_999)
    worker.join("ingest", timeout=60_000)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "DoesNotExist" in job.message
    assert job.finished_at is not None


async def drain(layer, channel, seconds=2.0) -> list[dict]:
    """Every message that reaches ``channel`` until it stays quiet for ``seconds``."""
    messages = []
    while True:
        try:
            messages.append(await asyncio.wait_for(layer.receive(channel), seconds))
        except TimeoutError:
            return messages


def test_job_progress_is_pushed_as_events(worker, tmp_path):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("hydra.jobs", channel)
    exp = factories.experiment()
    write_tree(tmp_path / "in", 2)
    job = enqueue(ingest_directory, kind="ingest", path=str(tmp_path / "in"), experiment=exp.pk)
    worker.join("ingest", timeout=60_000)
    messages = async_to_sync(drain)(layer, channel)
    statuses = [m["payload"]["status"] for m in messages if m["payload"]["id"] == job.pk]
    assert statuses[0] == "queued"
    assert "running" in statuses
    assert statuses[-1] == "done"
    assert all(m["type"] == "hydra.event" and m["event"] == "jobs.update" for m in messages)


# -- the outbox, heartbeats and the reaper ------------------------------------------------------------------------


@dramatiq.actor(queue_name="jobs-test", max_retries=0)
def nap(job_id: int, seconds: float = 0.0):
    with running(job_id) as job:
        time.sleep(seconds)
        job.finish("rested")


def wait_until_ended(job, timeout: float = 30.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (Job.Status.DONE, Job.Status.FAILED):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job.pk} still {job.status}: {job.log}")


def test_a_job_queued_in_a_transaction_that_rolls_back_leaves_no_job_and_sends_nothing(worker):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(nap, kind="nap")
        raise RuntimeError("the upload failed after queuing")
    assert not Job.objects.exists()
    assert relay.deliver() == []


def test_a_job_is_sent_when_its_transaction_commits_and_runs_once(worker):
    with transaction.atomic():
        job = enqueue(nap, kind="nap")
        assert Job.objects.get(pk=job.pk).sent_at is None  # nothing leaves before the commit
    job = wait_until_ended(job)
    assert job.status == Job.Status.DONE and job.sent_at is not None
    assert job.attempts == 1 and job.log.count("started") == 1


def test_a_message_delivered_twice_runs_its_job_once(worker):
    job = enqueue(nap, kind="nap", defer=True, seconds=0.3)
    assert relay.deliver() == [job.pk]
    # The same message again: a relay that died before recording its send, or a broker's re-delivery.
    dramatiq.get_broker().enqueue(nap.message(job.pk, seconds=0.3))
    job = wait_until_ended(job)
    worker.join("jobs-test", timeout=30_000)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.attempts == 1
    assert job.log.count("started") == 1 and job.log.count("rested") == 1


def test_a_running_job_is_stamped_by_its_heartbeat(worker, settings):
    settings.JOB_HEARTBEAT_INTERVAL = 0.05
    job = enqueue(nap, kind="nap", seconds=1.0)
    stamps = set()
    deadline = time.monotonic() + 30
    while len(stamps) < 3 and time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == Job.Status.RUNNING:
            stamps.add(job.heartbeat_at)
        time.sleep(0.05)
    assert len(stamps) >= 3, f"{stamps} {job.status}"
    assert wait_until_ended(job).status == Job.Status.DONE


def died_running(attempts: int, seconds_ago: float = 600) -> Job:
    """A job left running by a worker that died ``seconds_ago``."""
    job = enqueue(nap, kind="nap", defer=True)
    old = timezone.now() - timedelta(seconds=seconds_ago)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, sent_at=old, started_at=old, heartbeat_at=old, attempts=attempts, progress=0.4
    )
    return Job.objects.get(pk=job.pk)


def test_a_job_whose_worker_stopped_heartbeating_is_queued_again_and_then_finishes(worker, settings):
    settings.JOB_HEARTBEAT_TIMEOUT = 60
    alive = died_running(attempts=1, seconds_ago=5)
    dead = died_running(attempts=1)
    assert relay.reap() == {"requeued": 1, "failed": 0}
    dead.refresh_from_db()
    assert dead.status == Job.Status.QUEUED and dead.sent_at is None and dead.progress == 0
    assert "queued again after attempt 1: its worker stopped (no heartbeat for 60 s)" in dead.log
    assert Job.objects.get(pk=alive.pk).status == Job.Status.RUNNING
    assert relay.deliver() == [dead.pk]
    dead = wait_until_ended(dead)
    assert dead.status == Job.Status.DONE and dead.attempts == 2


def test_a_job_whose_worker_died_on_its_last_attempt_fails_with_the_reason(settings):
    settings.JOB_MAX_ATTEMPTS = 3
    job = died_running(attempts=3)
    assert relay.reap() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.finished_at is not None
    assert job.message.startswith("failed after 3 attempts: its worker stopped")
    assert relay.reap() == {"requeued": 0, "failed": 0}


def test_a_training_whose_worker_died_puts_its_model_back_in_the_queue():
    from apps.monitoring.models import ClassifierModel

    job = died_running(attempts=1)
    model = ClassifierModel.objects.create(
        plot_type=factories.plot_type(factories.experiment()), version=1, status="training", job=job
    )
    relay.reap()
    model.refresh_from_db()
    assert model.status == ClassifierModel.Status.QUEUED


def test_a_relay_pass_from_the_command_line_sends_what_waits_and_says_how_many(worker):
    job = enqueue(nap, kind="nap", defer=True)
    out = io.StringIO()
    call_command("relay", "--once", stdout=out)
    assert out.getvalue().strip() == "sent 1, requeued 0, failed 0; 0 still waiting"
    assert wait_until_ended(job).status == Job.Status.DONE


def test_a_short_lived_command_on_the_embedded_set_up_leaves_its_jobs_to_the_server_and_says_so(worker, tmp_path):
    import os
    import subprocess
    import sys

    from tests.job_processes import ROOT, database_url

    exp = factories.experiment()
    write_tree(tmp_path / "in", 2)
    env = {k: v for k, v in os.environ.items() if k not in ("HYDRA_BROKER_URL", "HYDRA_REDIS_URL")}
    env.update(HYDRA_DEBUG="true", HYDRA_DATABASE_URL=database_url())
    code = (
        "from apps.jobs.runner import enqueue; from apps.plots.tasks import ingest_directory; "
        f"enqueue(ingest_directory, kind='ingest', path={str(tmp_path / 'in')!r}, experiment={exp.pk})"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    job = Job.objects.get(kind="ingest")
    assert job.status == Job.Status.QUEUED and job.sent_at is None
    assert f"1 background job(s) (#{job.pk}) wait for the portal: they start when `manage.py serve` runs" in done.stderr
    # The serving process's relay (here: this process's) runs it.
    assert relay.deliver() == [job.pk]
    assert wait_until_ended(job).status == Job.Status.DONE
    assert Plot.objects.filter(experiment=exp).count() == 2


def test_the_first_job_after_the_database_dropped_the_workers_connection_runs(worker):
    if connection.vendor != "mysql":
        pytest.skip("needs MariaDB: an SQLite connection cannot be killed from outside")
    first = wait_until_ended(enqueue(nap, kind="nap"))
    assert first.status == Job.Status.DONE
    with connection.cursor() as cursor:  # the worker's persistent connection dies, as in a database restart
        cursor.execute("SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()")
        for (pid,) in cursor.fetchall():
            cursor.execute(f"KILL {int(pid)}")
    job = wait_until_ended(enqueue(nap, kind="nap"))
    assert job.status == Job.Status.DONE and job.attempts == 1, job.log


def test_jobs_whose_message_the_broker_lost_go_out_again_with_relay_resend_older_than(worker):
    lost = enqueue(nap, kind="nap", defer=True)
    recent = enqueue(nap, kind="nap", defer=True)
    Job.objects.filter(pk=lost.pk).update(sent_at=timezone.now() - timedelta(hours=1))  # sent; the broker lost it
    Job.objects.filter(pk=recent.pk).update(sent_at=timezone.now())
    out = io.StringIO()
    call_command("relay", "--once", "--resend-older-than", "600", stdout=out)
    assert out.getvalue().splitlines() == [
        "1 queued job(s) sent over 600 s ago go out again",
        "sent 1, requeued 0, failed 0; 0 still waiting",
    ]
    assert wait_until_ended(lost).status == Job.Status.DONE
    assert Job.objects.get(pk=recent.pk).status == Job.Status.QUEUED


def test_relay_refuses_a_resend_age_of_zero_with_a_message():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--resend-older-than must be above 0 seconds"):
        call_command("relay", "--once", "--resend-older-than", "0")
