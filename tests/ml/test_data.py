"""Training-set bookkeeping: splits by run, weights, class selection, balancing, fingerprints."""

from collections import Counter

import numpy as np

from ml import data
from ml.data import Example


def ex(label, run, weight=1, key=None):
    return Example(f"/x/{run}/{key}.png", label, run, weight, key or f"{run}-{label}")


def test_no_run_is_in_two_splits_and_weight_zero_runs_are_test_only():
    examples = [
        ex(lbl, run, 0 if run in (7, 8) else 1, key=f"{run}{i}")
        for run in range(10)
        for i, lbl in enumerate(["Good", "Bad", "Good"])
    ]
    split = data.split_by_run(examples, validation=0.25, seed=3)
    assert split.runs("test") == {7, 8}
    assert split.runs("train").isdisjoint(split.runs("validation"))
    assert len(split.runs("validation")) == 2
    assert sum(len(p) for p in (split.train, split.validation, split.test)) == len(examples)


def test_without_weight_zero_plots_a_share_of_runs_can_be_held_out():
    examples = [ex("Good", run) for run in range(20)]
    split = data.split_by_run(examples, validation=0.2, test=0.1, seed=1)
    assert len(split.runs("test")) == 2 and len(split.runs("validation")) == 4


def test_a_training_weight_of_n_repeats_a_plot_n_times():
    repeated = data.repeat_by_weight([ex("Good", 1, 3, "a"), ex("Bad", 1, 1, "b"), ex("Bad", 2, 0, "c")])
    assert Counter(e.key for e in repeated) == {"a": 3, "b": 1}


def test_rare_and_excluded_classes_are_not_trained_on():
    examples = [
        ex("Good", 1, key="1"),
        ex("Good", 2, key="2"),
        ex("Odd", 3),
        ex("Ignore", 4),
        ex("Ignore", 5),
        ex(None, 6),
    ]
    kept, classes = data.select_classes(examples, excluded=["Ignore"])
    assert classes == ["Good"]
    assert {e.label for e in kept} == {"Good"}


def test_undersampling_cuts_every_class_to_the_bad_count():
    examples = [ex("Good", i, key=f"g{i}") for i in range(30)] + [ex("Bad", i, key=f"b{i}") for i in range(5)]
    examples += [ex("NoData", i, key=f"n{i}") for i in range(3)]
    out, weights, _ = data.balance(examples, "undersample", "Bad")
    assert Counter(e.label for e in out) == {"Good": 5, "Bad": 5, "NoData": 3} and weights is None


def test_oversampling_repeats_every_class_up_to_the_largest():
    examples = [ex("Good", i, key=f"g{i}") for i in range(12)] + [ex("Bad", i, key=f"b{i}") for i in range(3)]
    out, _, _ = data.balance(examples, "oversample")
    assert Counter(e.label for e in out) == {"Good": 12, "Bad": 12}


def test_class_weights_are_inverse_to_frequency():
    examples = [ex("Good", i, key=f"g{i}") for i in range(30)] + [ex("Bad", i, key=f"b{i}") for i in range(10)]
    out, weights, _ = data.balance(examples, "class_weights")
    assert len(out) == 40
    assert weights[0] == 2.0 and np.isclose(weights[1], 40 / 60)  # classes sorted: Bad, Good


def test_the_fingerprint_changes_when_a_label_or_weight_changes_and_not_otherwise():
    more = [ex("Good", 3, key="c"), ex("Bad", 4, key="d"), ex("Bad", 5, key="e")]
    base = [ex("Good", 1, key="a"), ex("Bad", 2, key="b"), *more]
    same = list(reversed(base))
    relabeled = [ex("Bad", 1, key="a"), ex("Bad", 2, key="b"), *more]
    reweighted = [ex("Good", 1, 0, key="a"), ex("Bad", 2, key="b"), *more]
    fp = data.training_fingerprint
    assert fp(base) == fp(same)
    assert fp(base) != fp(relabeled)
    assert fp(base) != fp(reweighted)


def test_images_are_decoded_resized_and_scaled_to_unit_range(tmp_path):
    from tests.ml import tiny

    path = tiny.png(tmp_path / "a.png", True, 1)
    rgb = data.load_images([path], (16, 24, 3))
    grey = data.load_images([path], (16, 16, 1))
    assert rgb.shape == (1, 16, 24, 3) and grey.shape == (1, 16, 16, 1)
    assert 0.0 <= rgb.min() and rgb.max() <= 1.0 and rgb.max() > 0.9
