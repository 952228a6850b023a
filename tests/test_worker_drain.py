"""Graceful drain: a worker stopped with SIGTERM mid-training finishes the job, or, once its shutdown
timeout has passed, queues it again at once (no wait for the reaper) and the next worker resumes it
after the last saved epoch. Real ``rundramatiq`` processes on a throw-away Redis."""

import signal

import pytest

from apps.jobs.models import Job
from apps.monitoring import services
from apps.monitoring.models import ClassifierModel
from tests import factories
from tests.job_processes import ThrowawayRedis, Workers, sending_to, wait_for
from tests.monitoring.test_background_training import labeled_plots
from tests.test_training_resume_processes import HP, jobs

pytestmark = pytest.mark.django_db(transaction=True)
EPOCHS = 3
# The reaper never acts within these tests: whatever queues a job again is the drain.
NO_REAPER = {"HYDRA_JOB_HEARTBEAT_TIMEOUT": "600", "HYDRA_JOB_HEARTBEAT_INTERVAL": "0.3"}


def training_type(tmp_path):
    factories.restore_roles()
    factories.grant_monitoring_roles()
    exp = factories.experiment()
    pt = factories.plot_type(exp, "TOF_paddles")
    labeled_plots(exp, pt, tmp_path)
    return pt


def stop_after_epoch_1(workers: Workers, job: Job) -> None:
    wait_for(
        lambda: Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, result__epoch=1).exists(),
        240,
        lambda: f"{jobs()}\n{workers.output()}",
        poll=0.05,
    )
    workers.proc.send_signal(signal.SIGTERM)  # as systemd stops it: the main process tells its workers


def test_a_worker_stopped_mid_training_finishes_the_training_before_it_exits(tmp_path):
    pt = training_type(tmp_path)
    redis = ThrowawayRedis(tmp_path).start()
    try:
        with sending_to(redis.url):
            workers = Workers(
                redis.url,
                tmp_path / "workers.log",
                processes=1,
                queues=("training",),
                DJANGO_SETTINGS_MODULE="tests.slow_epochs",
                HYDRA_TEST_EPOCH_SECONDS=2,
                **NO_REAPER,
            )
            try:
                request = services.request_training(pt, hyper_parameters={**HP, "epochs": EPOCHS})
                stop_after_epoch_1(workers, request.job)
                workers.proc.wait(timeout=240)
            finally:
                workers.stop()
    finally:
        redis.kill()
    job, model = Job.objects.get(pk=request.job.pk), ClassifierModel.objects.get(pk=request.model.pk)
    assert job.status == Job.Status.DONE and job.attempts == 1, f"{job.log}\n{workers.output()}"
    assert model.status == ClassifierModel.Status.READY and model.metrics["resumed_from_epoch"] == 0
    assert len(model.curves["loss"]) == EPOCHS
    assert not model.checkpoint_path().exists()


def test_a_worker_whose_shutdown_timeout_passes_queues_its_training_again_and_the_next_worker_resumes_it(tmp_path):
    pt = training_type(tmp_path)
    redis = ThrowawayRedis(tmp_path).start()
    try:
        with sending_to(redis.url):
            first = Workers(
                redis.url,
                tmp_path / "first.log",
                processes=1,
                queues=("training",),
                DJANGO_SETTINGS_MODULE="tests.slow_epochs",
                HYDRA_TEST_EPOCH_SECONDS=60,
                HYDRA_WORKER_SHUTDOWN_TIMEOUT=1,
                **NO_REAPER,
            )
            try:
                request = services.request_training(pt, hyper_parameters={**HP, "epochs": EPOCHS})
                job, model = request.job, request.model
                stop_after_epoch_1(first, job)
                first.proc.wait(timeout=60)  # well before its epoch 2 could start
            finally:
                first.stop()
            job.refresh_from_db()
            model.refresh_from_db()
            assert job.status == Job.Status.QUEUED and job.attempts == 1, f"{job.log}\n{first.output()}"
            assert "queued again after attempt 1: its worker stopped before the job ended" in job.log
            assert model.status == ClassifierModel.Status.QUEUED
            assert (model.checkpoint_path() / "state.json").exists()

            second = Workers(redis.url, tmp_path / "second.log", processes=1, queues=("training",), **NO_REAPER)
            try:
                wait_for(
                    lambda: Job.objects.filter(pk=job.pk, status__in=[Job.Status.DONE, Job.Status.FAILED]).exists(),
                    240,
                    lambda: f"{jobs()}\n{second.output()}",
                )
            finally:
                second.stop()
    finally:
        redis.kill()
    job.refresh_from_db()
    model.refresh_from_db()
    assert job.status == Job.Status.DONE and job.attempts == 2, job.log
    for epoch in range(1, EPOCHS + 1):
        assert job.log.count(f"epoch {epoch}/{EPOCHS}:") == 1, job.log
    assert model.status == ClassifierModel.Status.READY and model.metrics["resumed_from_epoch"] == 1
    assert len(model.curves["loss"]) == EPOCHS
