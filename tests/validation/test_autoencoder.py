"""Autoencoders trained on known-normal plots (labeled Good, or of a reference campaign): a dead region scores
higher than a good plot, full or sparse, with a map of where; too few normal plots is refused."""

import io

import numpy as np
import pytest
from PIL import Image

from apps.labels.models import LabelClass
from apps.validation import anomalies
from apps.validation.models import AnomalyScore, AutoencoderModel
from ml import autoencoder
from ml.embeddings import load_images
from tests import factories
from tests.validation import synthetic

TINY = {"latent_dim": 8, "filters": (8, 16), "epochs": 25, "batch_size": 8}


def test_the_autoencoder_scores_a_dead_region_higher_than_a_good_plot():
    train = load_images([synthetic.png(synthetic.FCAL, run) for run in range(400, 424)], (32, 32))
    trained = autoencoder.train(train, **TINY, seed=1)
    good = load_images([synthetic.png(synthetic.FCAL, run) for run in (500, 501, 502)], (32, 32))
    dead = load_images([synthetic.png(synthetic.FCAL, run, "dead_region") for run in (500, 501, 502)], (32, 32))
    good_scores = autoencoder.reconstruction_errors(trained.model, good)
    dead_scores = autoencoder.reconstruction_errors(trained.model, dead)
    assert dead_scores.min() > good_scores.max()
    # Without held-out plots, the threshold is the 0.99 quantile of the training plots' own scores.
    assert trained.threshold == pytest.approx(float(np.quantile(trained.train_scores, 0.99)))
    assert trained.threshold_method == "q0.99 of 24 training (in-sample)"
    maps = autoencoder.error_maps(trained.model, dead)
    assert maps.shape == (3, 32, 32)


def test_the_bottleneck_gives_one_vector_per_image_and_the_model_survives_a_round_trip(tmp_path):
    images = load_images([synthetic.png(synthetic.TOF, run) for run in range(10, 16)], (32, 32))
    trained = autoencoder.train(images, latent_dim=6, filters=(4, 8), epochs=2, batch_size=4)
    vectors = autoencoder.AutoencoderEncoder(trained.model).encode(images)
    assert vectors.shape == (6, 6) and vectors.dtype == np.float32
    autoencoder.save(trained, tmp_path / "ae.keras")
    model, info = autoencoder.load(tmp_path / "ae.keras")
    assert info.metrics["threshold"] == pytest.approx(trained.threshold)
    assert np.allclose(autoencoder.reconstruction_errors(model, images), trained.train_scores, atol=1e-5)


@pytest.mark.django_db
def test_training_scores_every_plot_flags_the_broken_one_and_is_skipped_when_nothing_changed(client):
    exp = factories.experiment("GlueX")
    pt = factories.plot_type(exp, synthetic.FCAL)
    good = LabelClass.objects.get(experiment=exp, name="Good")
    for run in range(600, 616):
        factories.label(factories.plot_from_png(pt, synthetic.png(synthetic.FCAL, run)), good)
    broken = factories.plot_from_png(pt, synthetic.png(synthetic.FCAL, 700, "dead_region"))
    options = {"size": (32, 32), "latent_dim": 8, "filters": (8, 16), "epochs": 25}
    row, trained = anomalies.train(pt, **options)
    assert trained and row.trained_on == 16
    assert row.metrics["training_set"] == "16 Good-labeled, 0 reference-campaign plots"
    scores = dict(AnomalyScore.objects.filter(model=row).values_list("plot_id", "score"))
    assert len(scores) == 17
    assert scores[broken.pk] == max(scores.values())
    assert AnomalyScore.objects.get(model=row, plot=broken).anomalous

    again, trained_again = anomalies.train(pt, **options)
    assert again.pk == row.pk and not trained_again
    assert AutoencoderModel.objects.filter(plot_type=pt).count() == 1

    response = client.get(f"/validation/compare/{broken.pk}/errors.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(response.content)) as heat:
        assert heat.size == (broken.width, broken.height) and heat.mode == "RGBA"


def fcal(run: int, entries: int, failure: str | None = None) -> bytes:
    """An FCAL occupancy map with ``entries`` hits: about 60 per block is full, about 1 per block sparse."""
    from ml.synthetic import apply_failure, make_histogram, render_png

    demo = synthetic.BY_NAME[synthetic.FCAL]
    hist = make_histogram(demo.kind, run, entries=entries, title=demo.title, **dict(demo.options))
    if failure:
        hist = apply_failure(hist, failure, run, **synthetic.FAILURE_PARAMS[failure])
    return render_png(hist, run=run, width=synthetic.WIDTH, height=synthetic.HEIGHT)


FULL, SPARSE = 200_000, 3_000


def test_the_score_follows_structure_not_ink():
    """A sparse map is speckled all over (much fine ink a small model cannot rebuild pixel by pixel), yet
    normal; a dead region in a full map is lost data. Per-pixel errors rank the speckle high; the
    window-averaged residual cancels it and keeps the hole."""
    size = (32, 32)
    normal = [fcal(r, FULL) for r in range(400, 416)] + [fcal(r, SPARSE) for r in range(416, 424)]
    trained = autoencoder.train(load_images(normal, size), **TINY, seed=1)
    sparse = autoencoder.reconstruction_errors(
        trained.model, load_images([fcal(r, SPARSE) for r in (503, 504, 505)], size)
    )
    full = autoencoder.reconstruction_errors(trained.model, load_images([fcal(r, FULL) for r in (500, 501, 502)], size))
    dead = autoencoder.reconstruction_errors(
        trained.model, load_images([fcal(r, FULL, "dead_region") for r in (506, 507, 508)], size)
    )
    assert dead.min() > 2 * sparse.max()
    assert dead.min() > 2 * full.max()
    assert (dead > trained.threshold).all() and (sparse <= trained.threshold).all()


@pytest.mark.django_db
def test_only_good_and_reference_plots_are_learned_from_and_the_threshold_is_a_held_out_quantile():
    exp = factories.experiment("GlueX")
    pt = factories.plot_type(exp, synthetic.FCAL)
    reference = factories.campaign(exp, "recon-ver01", is_reference=True)
    under_test = factories.campaign(exp, "recon-ver02")
    bad = LabelClass.objects.get(experiment=exp, name="Bad")
    normal = [factories.plot_from_png(pt, synthetic.png(synthetic.FCAL, run), camp=reference) for run in range(30)]
    # A plot of the reference campaign labeled Bad is no normal plot.
    factories.label(factories.plot_from_png(pt, synthetic.png(synthetic.FCAL, 30, "dead_region"), camp=reference), bad)
    tested = [factories.plot_from_png(pt, synthetic.png(synthetic.FCAL, run), camp=under_test) for run in (40, 41)]
    broken = factories.plot_from_png(pt, synthetic.png(synthetic.FCAL, 42, "dead_region"), camp=under_test)

    plots, source = anomalies.training_plots(pt)
    assert [p.pk for p in plots] == [p.pk for p in normal]
    assert source == "0 Good-labeled, 30 reference-campaign plots"
    row, _ = anomalies.train(pt, size=(32, 32), latent_dim=8, filters=(8, 16), epochs=25, quantile=0.9)
    assert row.trained_on == 24 and row.metrics["held_out"] == 6 and row.metrics["quantile"] == 0.9
    assert row.threshold_method == "q0.9 of 6 held-out"
    scores = dict(AnomalyScore.objects.filter(model=row).values_list("plot_id", "score"))
    held_out = [p.pk for i, p in enumerate(normal) if i % 5 == 4]
    assert row.threshold == pytest.approx(float(np.quantile([scores[pk] for pk in held_out], 0.9)), rel=1e-5)
    assert scores[broken.pk] == max(scores.values()) and AnomalyScore.objects.get(model=row, plot=broken).anomalous
    assert not any(AnomalyScore.objects.get(model=row, plot=p).anomalous for p in tested)


def too_few_normal_plots():
    """3 plots labeled Good, 2 in a reference campaign, 20 that nobody vouched for; the refusal's text."""
    exp = factories.experiment("GlueX")
    pt = factories.plot_type(exp, synthetic.FCAL)
    reference = factories.campaign(exp, "recon-ver01", is_reference=True)
    good = LabelClass.objects.get(experiment=exp, name="Good")
    for run in range(3):
        factories.label(factories.plot_from_png(pt, synthetic.png(synthetic.FCAL, run)), good)
    for run in range(3, 5):
        factories.plot_from_png(pt, synthetic.png(synthetic.FCAL, run), camp=reference)
    for run in range(5, 25):
        factories.plot_from_png(pt, synthetic.png(synthetic.FCAL, run))
    return pt, (
        f"{synthetic.FCAL} has 3 plot(s) labeled Good and 2 unlabeled plot(s) in reference campaigns; the "
        "autoencoder learns only from these and needs at least 8: label Good plots, or mark a campaign with "
        "good plots as reference"
    )


@pytest.mark.django_db
def test_too_few_normal_plots_is_refused_with_the_reason_and_the_page_answers_400(client):
    from apps.accounts.roles import DETECTOR_EXPERT
    from apps.jobs.models import Job

    pt, reason = too_few_normal_plots()
    with pytest.raises(anomalies.TooFewNormal) as refused:
        anomalies.train(pt, size=(32, 32), epochs=1)
    assert str(refused.value) == reason
    client.force_login(factories.user(roles=[DETECTOR_EXPERT]))
    page = client.post("/validation/models/train", {"plot_type": pt.pk, "kind": "autoencoder", "quantile": "0.99"})
    assert page.status_code == 400 and reason in page.content.decode()
    assert not Job.objects.filter(kind="validation.autoencoder").exists()


@pytest.mark.django_db(transaction=True)
def test_a_training_job_with_too_few_normal_plots_fails_with_the_reason(worker):
    from apps.jobs.models import Job
    from apps.validation import tasks
    from tests.validation.conftest import drain

    pt, reason = too_few_normal_plots()
    job = tasks.start(tasks.train_autoencoder, title="Autoencoder", plot_type=pt.pk, epochs=1)
    drain(worker)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and reason in job.message
    assert not AutoencoderModel.objects.filter(plot_type=pt).exists()
