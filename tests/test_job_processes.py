"""Jobs on real brokers and real worker processes: exactly once, and nothing lost when a broker or a worker dies.

Each test starts ``manage.py rundramatiq`` processes (and, for the faults, a throw-away redis-server)
and bounds every wait. Without Redis or RabbitMQ running they skip; in CI they fail instead.
"""

import time

import pytest
from rest_framework.test import APIClient

from apps.accounts.roles import DETECTOR_EXPERT
from apps.jobs.models import Job
from apps.jobs.runner import enqueue
from apps.monitoring.models import Classification
from apps.monitoring.services import queue_classification
from apps.plots.models import Plot
from apps.plots.tasks import ingest_directory
from tests import factories
from tests.job_processes import (
    RABBITMQ_URL,
    REDIS_URL,
    ThrowawayRedis,
    Workers,
    require_port,
    sending_to,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)
BROKERS = {"redis": (REDIS_URL, 6379, "Redis"), "rabbitmq": (RABBITMQ_URL, 5672, "RabbitMQ")}


def statuses(kind: str) -> list[tuple]:
    return list(Job.objects.filter(kind=kind).order_by("id").values_list("id", "status", "attempts", "sent_at"))


def all_ended(kind: str, count: int) -> bool:
    jobs = Job.objects.filter(kind=kind)
    return jobs.count() == count and not jobs.exclude(status__in=[Job.Status.DONE, Job.Status.FAILED]).exists()


@pytest.mark.parametrize("name", BROKERS)
def test_two_worker_processes_run_every_job_queued_through_the_outbox_exactly_once(name, tmp_path):
    url, port, what = BROKERS[name]
    require_port(port, what)
    exp = factories.experiment()
    trees = []
    for i in range(6):
        folder = tmp_path / f"in{i}" / "RunPeriod-2021-08" / f"Run08046{i}"
        folder.mkdir(parents=True)
        for chunk in range(2):
            (folder / f"FCAL_occupancy_{chunk:04d}.png").write_bytes(factories.png_bytes(40, 30, 10 * i + chunk))
        trees.append(tmp_path / f"in{i}")
    with sending_to(url):
        workers = Workers(url, tmp_path / "workers.log", processes=2, queues=("ingest",))
        try:
            # Half go to the broker right after their commit, half wait in the outbox for the workers' relays.
            jobs = [
                enqueue(ingest_directory, kind="ingest", defer=i % 2 == 1, path=str(tree), experiment=exp.pk)
                for i, tree in enumerate(trees)
            ]
            wait_for(lambda: all_ended("ingest", 6), 180, lambda: f"{statuses('ingest')}\n{workers.output()}")
        finally:
            workers.stop()
    for job in jobs:
        job.refresh_from_db()
        assert job.status == Job.Status.DONE, job.log
        assert job.attempts == 1 and job.log.count("started") == 1, job.log
        assert job.result == {"new": 2, "duplicate": 0, "rejected": 0}
    assert Plot.objects.filter(experiment=exp).count() == 12


def classifying_type():
    factories.restore_roles()
    exp = factories.experiment()
    pt = factories.plot_type(exp, "CDC_occupancy")
    model = factories.classifier_model(pt, activate=True)
    return exp, pt, model


def upload(client, exp, run: int):
    image = factories.png_bytes(40, 30, run)
    from django.core.files.uploadedfile import SimpleUploadedFile

    fields = {
        "image": SimpleUploadedFile("CDC_occupancy.png", image, content_type="image/png"),
        "experiment": exp.slug,
        "plot_type": "CDC_occupancy",
        "run": run,
    }
    return client.post("/api/v1/plots/", fields, format="multipart")


def test_uploads_while_the_broker_is_down_are_accepted_and_every_plot_is_classified_when_it_returns(tmp_path):
    exp, pt, model = classifying_type()
    client = APIClient()
    _, key = factories.api_token(factories.user("uploader", roles=[DETECTOR_EXPERT]))
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    redis = ThrowawayRedis(tmp_path).start()
    try:
        with sending_to(redis.url):
            workers = Workers(redis.url, tmp_path / "workers.log", processes=2, queues=("classify",))
            try:
                answers = [upload(client, exp, 1000 + i) for i in range(4)]
                redis.kill()
                answers += [upload(client, exp, 2000 + i) for i in range(4)]
                assert Job.objects.filter(kind="classify", sent_at__isnull=True).exists()  # waiting in the outbox
                redis.start()
                answers += [upload(client, exp, 3000 + i) for i in range(2)]
                wait_for(
                    lambda: all_ended("classify", 10) and not Plot.objects.filter(classified_at__isnull=True).exists(),
                    240,
                    lambda: f"{statuses('classify')}\n{workers.output()}",
                )
            finally:
                workers.stop()
    finally:
        redis.kill()
    assert [a.status_code for a in answers] == [201] * 10, [a.content[:200] for a in answers if a.status_code != 201]
    assert Plot.objects.filter(experiment=exp).count() == 10
    assert set(Job.objects.filter(kind="classify").values_list("status", flat=True)) == {Job.Status.DONE}
    assert Classification.objects.filter(model=model).count() == 10


def test_a_worker_killed_mid_classification_has_its_job_run_again_by_another_without_duplicate_verdicts(tmp_path):
    exp, pt, model = classifying_type()
    plots = [factories.plot(pt, seed=i) for i in range(640)]  # ten batches: time to kill it between two
    fast = {"HYDRA_JOB_HEARTBEAT_TIMEOUT": "3", "HYDRA_JOB_HEARTBEAT_INTERVAL": "0.3"}
    redis = ThrowawayRedis(tmp_path).start()
    try:
        with sending_to(redis.url):
            first = Workers(redis.url, tmp_path / "first.log", processes=1, queues=("classify",), **fast)
            try:
                job = queue_classification(plots)
                wait_for(
                    lambda: Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, progress__gt=0).exists(),
                    180,
                    lambda: f"{statuses('classify')}\n{first.output()}",
                    poll=0.05,
                )
            finally:
                first.kill()  # SIGKILL: no chance to finish or hand the job back
            job.refresh_from_db()
            assert job.status == Job.Status.RUNNING and job.progress < 1, job.log
            done_before = Classification.objects.filter(model=model).count()
            assert 0 < done_before < len(plots)
            killed_at = time.monotonic()
            second = Workers(redis.url, tmp_path / "second.log", processes=1, queues=("classify",), **fast)
            try:
                wait_for(lambda: all_ended("classify", 1), 240, lambda: f"{statuses('classify')}\n{second.output()}")
            finally:
                second.stop()
    finally:
        redis.kill()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.attempts == 2, job.log
    assert "queued again after attempt 1: its worker stopped" in job.log
    assert time.monotonic() - killed_at < 240
    assert Classification.objects.filter(model=model).count() == len(plots)
    assert not Plot.objects.filter(pk__in=[p.pk for p in plots], classified_at__isnull=True).exists()


def test_a_worker_stopped_with_sigterm_finishes_its_job_before_it_exits(tmp_path):
    import signal

    exp, pt, model = classifying_type()
    plots = [factories.plot(pt, seed=i) for i in range(320)]
    redis = ThrowawayRedis(tmp_path).start()
    try:
        with sending_to(redis.url):
            workers = Workers(redis.url, tmp_path / "workers.log", processes=1, queues=("classify",))
            try:
                job = queue_classification(plots)
                wait_for(
                    lambda: Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, progress__gt=0).exists(),
                    180,
                    lambda: f"{statuses('classify')}\n{workers.output()}",
                    poll=0.05,
                )
                workers.proc.send_signal(signal.SIGTERM)  # as systemd stops it: the main process tells its workers
                workers.proc.wait(timeout=120)
            finally:
                workers.stop()
    finally:
        redis.kill()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.attempts == 1, f"{job.log}\n{workers.output()}"
    assert Classification.objects.filter(model=model).count() == len(plots)
