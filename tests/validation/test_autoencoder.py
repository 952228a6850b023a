"""Autoencoders trained on Good plots: a dead region scores higher than a good plot, with a map of where."""

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
    assert trained.threshold >= trained.train_scores.max()
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
    assert trained and row.trained_on == 16 and row.metrics["training_set"] == "good"
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
