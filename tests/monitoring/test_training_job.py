"""Training on the worker: a job with epoch progress, a ready model file, metrics, auto-activation."""

import pytest

from apps.jobs.models import Job
from apps.monitoring import services, training_data
from apps.monitoring.models import Activation, ActiveModel, ClassifierModel
from ml import model_files
from tests import factories
from tests.ml import tiny
from tests.monitoring.conftest import wait_for_jobs

HP = {
    "input_shape": [32, 32, 1],
    "epochs": 2,
    "batch_size": 8,
    "learning_rate": 0.01,
    "validation_fraction": 0.25,
    "options": {"filters": [4, 8]},
}


@pytest.mark.django_db(transaction=True)
def test_a_training_job_reports_epochs_and_leaves_a_ready_active_model(worker, roles, tmp_path):
    from apps.plots import imaging

    exp = factories.experiment()
    pt = factories.plot_type(exp, "TOF_paddles")
    good, bad = factories.label_class(exp, "Good"), factories.label_class(exp, "Bad")
    limits = imaging.Limits(max_bytes=10**7, max_pixels=10**8, thumbnail_width=32)
    from django.conf import settings

    # Enough plots that two epochs learn the bright block: a model that calls everything Good is
    # never activated automatically (apps.monitoring.gating).
    for e in tiny.examples(tmp_path / "src", runs=6, per_run=16, test_runs=1):
        stored = imaging.store(open(e.path, "rb").read(), limits, str(settings.MEDIA_ROOT))
        run = factories.run(exp, e.run) if not exp.runs.filter(number=e.run).exists() else exp.runs.get(number=e.run)
        plot = factories.Plot.from_stored(
            stored,
            plot_type=pt,
            run=run,
            campaign=factories.campaign(exp),
            chunk=e.key % 100,
            training_weight=e.weight,
        )
        plot.save()
        factories.label(plot, bad if e.label == "Bad" else good)
    expert = factories.user("expert", roles=["Detector expert"])
    request = services.request_training(pt, user=expert, hyper_parameters=HP)
    [job] = wait_for_jobs("train", timeout=120)
    assert job.status == Job.Status.DONE, job.log
    model = ClassifierModel.objects.get(pk=request.model.pk)
    assert model.status == ClassifierModel.Status.READY
    assert model.label_map == ["Bad", "Good"] and model.class_ids == [bad.pk, good.pk]
    assert model.metrics["tested_on"] == 16 and model.metrics["evaluated_on"] == "test"
    assert model.test_plot_ids and not set(model.test_plot_ids) & set(model.training_plot_ids)
    assert set(model.thresholds) == {"Bad", "Good"} and len(model.curves["loss"]) == 2
    assert model.confusion_matrix["matrix"] and model.fingerprint == training_data.data_fingerprint(pt)
    model_files.verify(model.local_path())
    assert job.result["history"]["loss"] == model.curves["loss"] and job.result["epochs"] == 2
    assert "epoch 2/2" in job.log
    assert ActiveModel.objects.get(plot_type=pt).model == model
    assert Activation.objects.get(plot_type=pt).user == expert
