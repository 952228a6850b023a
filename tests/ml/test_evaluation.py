"""Verdicts, metrics and max-F1 thresholds on known scores."""

import numpy as np

from ml import evaluation

CLASSES = ["Bad", "Good"]


def test_the_verdict_is_the_top_class_confirmed_at_its_threshold():
    v = evaluation.verdict([0.97, 0.03], CLASSES, {"Bad": 0.9, "Good": 0.5})
    assert (v.label, v.index, v.confirmed) == ("Bad", 0, True) and np.isclose(v.confidence, 0.97)
    assert not evaluation.verdict([0.85, 0.15], CLASSES, {"Bad": 0.9}).confirmed
    assert evaluation.verdict([0.2, 0.8], CLASSES, {}).confirmed  # initial threshold 0.5


def test_confusion_matrix_and_per_class_metrics():
    matrix = evaluation.confusion_matrix([0, 0, 0, 1, 1], [0, 0, 1, 1, 0], 2)
    assert matrix.tolist() == [[2, 1], [1, 1]]
    metrics = evaluation.per_class_metrics(matrix, CLASSES)
    assert metrics["Bad"] == {"precision": 0.6667, "recall": 0.6667, "f1": 0.6667, "support": 3}
    assert metrics["Good"]["recall"] == 0.5


def test_figures_with_nothing_to_measure_are_none_not_zero():
    # No Bad plot in the test set, and NoData never predicted.
    matrix = evaluation.confusion_matrix([1, 1, 2], [1, 1, 1], 3)
    metrics = evaluation.per_class_metrics(matrix, ["Bad", "Good", "NoData"])
    assert metrics["Bad"] == {"precision": None, "recall": None, "f1": None, "support": 0}
    assert metrics["NoData"] == {"precision": None, "recall": 0.0, "f1": None, "support": 1}
    assert metrics["Good"] == {"precision": 0.6667, "recall": 1.0, "f1": 0.8, "support": 2}


def test_max_f1_thresholds_on_a_known_score_set():
    # Bad plots score 0.95, 0.9 and 0.7 for Bad; one Good plot is wrongly Bad at 0.6.
    # Any Bad threshold in (0.6, 0.7] gives F1 = 1, the middle of that run is taken: 0.65.
    scores = np.array([[0.95, 0.05], [0.9, 0.1], [0.7, 0.3], [0.6, 0.4], [0.2, 0.8], [0.1, 0.9]])
    truth = [0, 0, 0, 1, 1, 1]
    thresholds = evaluation.max_f1_thresholds(scores, truth, CLASSES)
    assert thresholds["Bad"] == {"value": 0.65, "f1": 1.0, "set_by": "max-f1"}
    # Good: only 0.8 and 0.9 are Good verdicts (both right); the third Good plot is lost either way.
    assert thresholds["Good"]["f1"] == 0.8 and 0 <= thresholds["Good"]["value"] <= 0.8


def test_a_class_missing_from_the_test_set_keeps_the_initial_threshold():
    thresholds = evaluation.max_f1_thresholds(np.array([[0.9, 0.1, 0.0]]), [0], ["Bad", "Good", "NoData"])
    assert thresholds["NoData"] == {"value": 0.5, "f1": None, "set_by": "initial"}


def test_evaluate_gives_accuracy_bad_recall_and_a_histogram_per_cell():
    scores = np.array([[0.95, 0.05], [0.3, 0.7], [0.2, 0.8], [0.15, 0.85]])
    result = evaluation.evaluate(scores, [0, 0, 1, 1], CLASSES)
    assert result["tested_on"] == 4 and result["accuracy"] == 0.75 and result["bad_recall"] == 0.5
    assert result["confusion_matrix"] == [[1, 1], [0, 2]]
    assert sum(result["histograms"][0][0]) == 1 and result["histograms"][0][0][9] == 1
    assert sum(result["histograms"][1][1]) == 2


def test_figures_per_plot_type_tell_a_shared_model_s_types_apart():
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.8, 0.2], [0.7, 0.3], [0.3, 0.7]])
    truth = [0, 1, 0, 1, 0]
    groups = ["CDC", "CDC", "FCAL", "FCAL", "FCAL"]
    figures = evaluation.per_group(scores, truth, groups, CLASSES)
    assert figures["CDC"] == {"tested_on": 2, "accuracy": 1.0, "bad_recall": 1.0, "bad_precision": 1.0}
    assert figures["FCAL"] == {"tested_on": 3, "accuracy": 0.3333, "bad_recall": 0.5, "bad_precision": 0.5}


def test_a_bad_score_from_one_third_on_is_a_bad_verdict():
    classes = ["Bad", "Good", "NoData"]
    scores = np.array([[0.34, 0.66, 0.0], [0.33, 0.67, 0.0], [0.1, 0.2, 0.7], [0.4, 0.0, 0.6], [0.9, 0.1, 0.0]])
    top, confidence = evaluation.decide(scores, classes)
    assert [classes[i] for i in top] == ["Bad", "Good", "NoData", "Bad", "Bad"]
    np.testing.assert_allclose(confidence, [0.34, 0.67, 0.7, 0.4, 0.9])
    # The verdict of one plot follows the same rule; a Bad verdict below Bad's threshold is unconfirmed.
    one = evaluation.verdict([0.4, 0.6, 0.0], classes, {"Bad": 0.5, "Good": 0.5})
    assert (one.label, one.confidence, one.confirmed) == ("Bad", 0.4, False)
    # Without a Bad class it is the top class.
    assert evaluation.decide([[0.4, 0.6]], ["Good", "Other"])[0].tolist() == [1]
    assert evaluation.decide(np.zeros((0, 3)), classes)[0].tolist() == []
