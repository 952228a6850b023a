"""A worker killed mid-training (SIGKILL): the reaper queues its job again and the next worker continues
after the last epoch the first one saved, with real ``rundramatiq`` processes on a throw-away Redis."""

import json

import pytest

from apps.jobs.models import Job
from apps.monitoring import services
from apps.monitoring.models import Classification, ClassifierModel
from apps.plots.models import Plot
from tests import factories
from tests.job_processes import ThrowawayRedis, Workers, sending_to, wait_for
from tests.monitoring.test_background_training import labeled_plots

pytestmark = pytest.mark.django_db(transaction=True)
EPOCHS = 4
HP = {
    "input_shape": [32, 32, 1],
    "epochs": EPOCHS,
    "patience": 10,  # every epoch runs: none is skipped by early stopping
    "batch_size": 8,
    "learning_rate": 0.01,
    "validation_fraction": 0.25,
    "options": {"filters": [4, 8]},
}
FAST_REAPER = {"HYDRA_JOB_HEARTBEAT_TIMEOUT": "3", "HYDRA_JOB_HEARTBEAT_INTERVAL": "0.3"}


def jobs() -> str:
    return str(list(Job.objects.order_by("id").values_list("id", "kind", "status", "attempts", "progress", "message")))


def test_a_worker_killed_after_epoch_1_has_its_training_resumed_at_epoch_2_and_each_plot_classified_once(tmp_path):
    factories.restore_roles()
    factories.grant_monitoring_roles()
    exp = factories.experiment()
    pt = factories.plot_type(exp, "TOF_paddles")
    labeled_plots(exp, pt, tmp_path)
    redis = ThrowawayRedis(tmp_path).start()
    try:
        with sending_to(redis.url):
            # Epochs of the first worker last 30 s more after their checkpoint: it is killed in that pause.
            first = Workers(
                redis.url,
                tmp_path / "first.log",
                processes=1,
                queues=("training", "classify"),
                DJANGO_SETTINGS_MODULE="tests.slow_epochs",
                HYDRA_TEST_EPOCH_SECONDS=30,
                **FAST_REAPER,
            )
            try:
                request = services.request_training(pt, hyper_parameters=HP, activate=True, classify_after=True)
                model, job = request.model, request.job
                wait_for(
                    lambda: Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, result__epoch=1).exists(),
                    240,
                    lambda: f"{jobs()}\n{first.output()}",
                    poll=0.05,
                )
            finally:
                first.kill()  # SIGKILL, between epoch 1 and epoch 2
            job.refresh_from_db()
            assert job.status == Job.Status.RUNNING and job.result["epoch"] == 1, job.log
            model.refresh_from_db()
            assert model.status == ClassifierModel.Status.TRAINING
            state = json.loads((model.checkpoint_path() / "state.json").read_text())
            assert state["epoch"] == 1 and len(state["history"]["loss"]) == 1

            second = Workers(
                redis.url, tmp_path / "second.log", processes=1, queues=("training", "classify"), **FAST_REAPER
            )
            try:
                wait_for(
                    lambda: Job.objects.filter(kind="classify", status=Job.Status.DONE).exists(),
                    300,
                    lambda: f"{jobs()}\n{second.output()}",
                )
            finally:
                second.stop()
    finally:
        redis.kill()
    job.refresh_from_db()
    model.refresh_from_db()
    assert job.status == Job.Status.DONE and job.attempts == 2, job.log
    assert "queued again after attempt 1: its worker stopped" in job.log
    # Each epoch trained and reported once: 1 by the first worker, 2 to 4 by the second.
    for epoch in range(1, EPOCHS + 1):
        assert job.log.count(f"epoch {epoch}/{EPOCHS}:") == 1, job.log
    assert "resumed after epoch 1" in job.log
    assert model.status == ClassifierModel.Status.READY, model.error
    assert model.metrics["resumed_from_epoch"] == 1
    assert any("resumed after epoch 1" in note for note in model.metrics["notes"])
    assert len(model.curves["loss"]) == EPOCHS
    assert model.curves["loss"][0] == state["history"]["loss"][0]  # the first worker's epoch, kept
    assert not model.checkpoint_path().exists()  # removed once the model was saved
    # One verdict per plot of the type, however many attempts training took.
    plots = Plot.objects.filter(plot_type=pt)
    assert Classification.objects.filter(model=model).count() == plots.count()
    assert not plots.filter(classified_at__isnull=True).exists()
    assert Job.objects.filter(kind="train").count() == 1
