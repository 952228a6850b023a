"""Background tasks run through the configured Dramatiq broker and report into job records."""

import asyncio

import dramatiq
import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apps.jobs.models import Job
from apps.jobs.runner import enqueue
from apps.plots.models import Plot
from apps.plots.tasks import ingest_directory
from hydra_portal.broker import InProcessBroker
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker():
    """The in-process worker, or a real worker thread on the Redis/RabbitMQ broker in CI."""
    broker = dramatiq.get_broker()
    if isinstance(broker, InProcessBroker):
        broker.start_worker()
        yield broker
        broker.join_all()
        return
    started = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    started.start()
    yield broker
    started.stop()


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
