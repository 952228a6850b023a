"""The Siamese model: pairs of the same class score higher than a Good plot against a Bad one."""

import numpy as np
import pytest

from apps.labels.models import LabelClass
from apps.validation import similarity
from ml import siamese
from ml.embeddings import load_images
from tests import factories
from tests.validation import synthetic


def labeled_set():
    good = [synthetic.png(synthetic.TOF, run) for run in range(800, 820)]
    bad = [synthetic.png(synthetic.TOF, run, mode) for run in range(900, 907) for mode in ("hot_channels", "empty")]
    images = load_images(good + bad, (32, 32))
    return images, ["Good"] * len(good) + ["Bad"] * len(bad)


def test_the_siamese_score_is_higher_for_same_class_pairs_than_for_good_against_bad():
    images, labels = labeled_set()
    trained = siamese.train(images, labels, reference=0, n_pairs=600, filters=(8, 16), epochs=12, seed=0)
    good_test = load_images([synthetic.png(synthetic.TOF, run) for run in (950, 951, 952, 953)], (32, 32))
    bad_test = load_images(
        [synthetic.png(synthetic.TOF, run, "hot_channels") for run in (950, 951, 952, 953)], (32, 32)
    )
    reference = images[:1]
    alike = siamese.similarity(trained.model, good_test, reference)
    unlike = siamese.similarity(trained.model, bad_test, reference)
    assert alike.mean() > unlike.mean() + 0.2
    assert trained.metrics["alike_mean"] > trained.metrics["unlike_mean"]
    # Symmetric by construction of the training pairs, not exactly by the network: close enough.
    forward = siamese.similarity(trained.model, good_test[:2], bad_test[:2])
    backward = siamese.similarity(trained.model, bad_test[:2], good_test[:2])
    assert np.allclose(forward, backward, atol=0.2)


def test_training_pairs_are_balanced_and_come_in_both_orders():
    pairs, targets = siamese.make_pairs(["Good"] * 10 + ["Bad"] * 5, n_pairs=200, seed=3, reference=0)
    assert 0.35 < targets.mean() < 0.65
    half = len(pairs) // 2
    assert np.array_equal(pairs[:half], pairs[half:, ::-1])
    with pytest.raises(ValueError, match="two classes"):
        siamese.make_pairs(["Good"] * 4)


@pytest.mark.django_db
def test_a_plot_type_needs_two_labeled_classes_before_a_siamese_model_is_trained():
    exp = factories.experiment("GlueX")
    pt = factories.plot_type(exp, synthetic.TOF)
    good = LabelClass.objects.get(experiment=exp, name="Good")
    bad = LabelClass.objects.get(experiment=exp, name="Bad")
    for run in range(10, 16):
        factories.label(factories.plot_from_png(pt, synthetic.png(synthetic.TOF, run)), good)
    with pytest.raises(ValueError, match="simulate failures"):
        similarity.train(pt, size=(32, 32), filters=(8, 16), epochs=2, n_pairs=100)
    for run in range(20, 24):
        factories.label(factories.plot_from_png(pt, synthetic.png(synthetic.TOF, run, "hot_channels")), bad)
    row, trained = similarity.train(pt, size=(32, 32), filters=(8, 16), epochs=2, n_pairs=100)
    assert trained and row.trained_on == 10 and row.metrics["classes"] == ["Bad", "Good"]
    plots = list(pt.plots.order_by("id")[:2])
    scores = similarity.scores(row, plots, plots[0])
    assert scores.shape == (2,) and ((0 <= scores) & (scores <= 1)).all()


@pytest.mark.django_db
def test_the_report_shows_the_siamese_score_and_counts_it_only_when_the_model_is_accurate():
    from apps.experiments.choices import CampaignKind
    from apps.validation import reports

    exp = factories.experiment("GlueX")
    pt = factories.plot_type(exp, synthetic.TOF)
    reference = factories.campaign(exp, "recon", kind=CampaignKind.OFFLINE, is_reference=True)
    new = factories.campaign(exp, "pass2")
    good = LabelClass.objects.get(experiment=exp, name="Good")
    bad = LabelClass.objects.get(experiment=exp, name="Bad")
    for run in range(30, 36):
        factories.label(factories.plot_from_png(pt, synthetic.png(synthetic.TOF, run), camp=reference), good)
    for run in range(40, 43):
        factories.label(factories.plot_from_png(pt, synthetic.png(synthetic.TOF, run, "empty"), camp=reference), bad)
    factories.plot_from_png(pt, synthetic.png(synthetic.TOF, 50), camp=new)
    row, _ = similarity.train(pt, size=(32, 32), filters=(8, 16), epochs=2, n_pairs=100)
    row.metrics = {**row.metrics, "accuracy": 0.5}
    row.save()
    line = reports.compute(reports.get_or_create_report(new, reference)).results.get()
    assert line.siamese_score is not None and "Siamese not counted" in line.reason
    row.metrics = {**row.metrics, "accuracy": 0.99}
    row.save()
    line = reports.compute(reports.get_or_create_report(new, reference)).results.get()
    assert "Siamese not counted" not in line.reason
    assert line.plots[0]["siamese"] == line.siamese_score
