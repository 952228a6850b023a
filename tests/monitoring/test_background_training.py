"""Training held back until the portal serves, then verdicts for the plots already stored (make demo)."""

import pytest
from django.conf import settings

from apps.jobs import relay
from apps.jobs.models import Job
from apps.monitoring import services
from apps.monitoring.models import ActiveModel
from apps.plots import imaging
from apps.plots.models import Plot
from tests import factories
from tests.ml import tiny
from tests.monitoring.conftest import wait_for_jobs
from tests.monitoring.test_training_job import HP


def labeled_plots(exp, pt, tmp_path):
    good, bad = factories.label_class(exp, "Good"), factories.label_class(exp, "Bad")
    limits = imaging.Limits(max_bytes=10**7, max_pixels=10**8, thumbnail_width=32)
    camp = factories.campaign(exp)
    # 16 a run: with 4 the tiny model calls everything Good, and the activation gate keeps it back.
    for e in tiny.examples(tmp_path / "src", runs=6, per_run=16, test_runs=1):
        stored = imaging.store(open(e.path, "rb").read(), limits, str(settings.MEDIA_ROOT))
        run = exp.runs.filter(number=e.run).first() or factories.run(exp, e.run)
        plot = Plot.from_stored(
            stored,
            plot_type=pt,
            run=run,
            campaign=camp,
            chunk=e.key % 100,
            training_weight=e.weight,
        )
        plot.save()
        factories.label(plot, bad if e.label == "Bad" else good)


@pytest.mark.django_db(transaction=True)
def test_a_deferred_training_starts_when_sent_and_then_every_stored_plot_gets_a_verdict(worker, roles, tmp_path):
    exp = factories.experiment()
    pt = factories.plot_type(exp, "TOF_paddles")
    labeled_plots(exp, pt, tmp_path)
    request = services.request_training(pt, hyper_parameters=HP, classify_after=True, defer=True)
    job = Job.objects.get(pk=request.job.pk)
    assert job.status == Job.Status.QUEUED and job.message == "starts when the portal serves"
    assert job.actor == "train_model" and job.sent_at is None and job.params["classify"] is True

    assert relay.deliver() == [job.pk]
    assert relay.deliver() == []  # sent once only
    [trained] = wait_for_jobs("train", timeout=120)
    assert trained.status == Job.Status.DONE, trained.log
    assert trained.sent_at is not None and trained.attempts == 1
    assert ActiveModel.objects.get(plot_type=pt).model_id == request.model.pk
    classify_jobs = wait_for_jobs("classify", timeout=120)
    assert all(j.status == Job.Status.DONE for j in classify_jobs)
    assert not Plot.objects.filter(plot_type=pt, classified_at__isnull=True).exists()
