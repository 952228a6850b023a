"""Scores to verdicts and metrics: confusion matrix, precision / recall / F1, max-F1 thresholds.

Plain numpy, no TensorFlow: the portal imports this in web processes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# Threshold candidates: 0.00, 0.01, ..., 1.00.
THRESHOLD_STEPS = np.round(np.arange(0, 101) / 100, 2)
INITIAL_THRESHOLD = 0.5
HISTOGRAM_BINS = 10
# A missed Bad plot costs a shift more than a false alarm: the verdict is Bad as soon as its score
# reaches this, even where another class scores higher (the Bayes decision when a miss costs twice a
# false alarm). On unseen demo seeds the misses were Bad plots scored 0.4-0.5 (bench/generalisation.py).
BAD_AT = 1 / 3
BAD_CLASS = "Bad"


def decide(scores, classes: Sequence[str], bad_class: str = BAD_CLASS) -> tuple[np.ndarray, np.ndarray]:
    """The verdict of each row of ``scores`` (N, classes): (class indices, their scores).

    The top class, except that ``bad_class`` wins wherever its score reaches ``BAD_AT``. Without a
    class of that name it is the top class.
    """
    scores = np.asarray(scores, dtype=float).reshape(-1, len(classes))
    if not len(scores):
        return np.zeros(0, dtype=int), np.zeros(0)
    top = scores.argmax(axis=1)
    if bad_class in classes:
        k = list(classes).index(bad_class)
        top = np.where(scores[:, k] >= BAD_AT, k, top)
    return top, scores[np.arange(len(scores)), top]


@dataclass(frozen=True)
class Verdict:
    """The top class, its confidence, and whether the confidence reaches the class threshold."""

    label: str
    index: int
    confidence: float
    confirmed: bool


def verdicts(scores, classes: Sequence[str], thresholds: Mapping[str, float]) -> list[Verdict]:
    """The verdict rule over rows of scores: the top class (Bad from ``BAD_AT`` on, see ``decide``); confirmed
    when its score ≥ that class's threshold."""
    top, confidence = decide(scores, classes)
    limits = [float(thresholds.get(name, INITIAL_THRESHOLD)) for name in classes]
    return [Verdict(classes[k], k, c, c >= limits[k]) for k, c in zip(top.tolist(), confidence.tolist(), strict=True)]


def verdict(scores: Sequence[float], classes: Sequence[str], thresholds: Mapping[str, float]) -> Verdict:
    """The verdict of one row of scores (``verdicts``)."""
    return verdicts([scores], classes, thresholds)[0]


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int], n_classes: int) -> np.ndarray:
    """Rows are true classes, columns predicted classes."""
    matrix = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(matrix, (np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)), 1)
    return matrix


def per_class_metrics(matrix: np.ndarray, classes: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each class from a confusion matrix.

    A figure with nothing to measure is None, not 0: recall of a class absent from the test set,
    precision of a class never predicted (and their F1). A 0 there read as "misses every Bad plot".
    """
    out = {}
    for i, name in enumerate(classes):
        tp = matrix[i, i]
        predicted, actual = matrix[:, i].sum(), matrix[i, :].sum()
        precision = float(tp / predicted) if predicted else None
        recall = float(tp / actual) if actual else None
        if precision is None or recall is None:
            f1 = None
        else:
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[name] = {
            "precision": None if precision is None else round(precision, 4),
            "recall": None if recall is None else round(recall, 4),
            "f1": None if f1 is None else round(float(f1), 4),
            "support": int(actual),
        }
    return out


def _f1_at(top: np.ndarray, confidence: np.ndarray, truth: np.ndarray, k: int, t: float) -> float:
    predicted = (top == k) & (confidence >= t)
    tp = int(np.sum(predicted & (truth == k)))
    if tp == 0:
        return 0.0
    precision = tp / int(np.sum(predicted))
    recall = tp / int(np.sum(truth == k))
    return 2 * precision * recall / (precision + recall)


def max_f1_thresholds(scores: np.ndarray, y_true: Sequence[int], classes: Sequence[str]) -> dict[str, dict]:
    """Per class, the threshold in 0.00..1.00 (step 0.01) that maximises F1 of confirmed verdicts.

    A plot counts as a confirmed prediction of class k when k is its top class and the score
    reaches the threshold. Where several thresholds tie, the middle of the longest run of
    best thresholds is taken, away from both edges. A class absent from the evaluation set
    keeps the initial threshold. Returns ``{class: {"value", "f1", "set_by"}}``.
    """
    scores = np.asarray(scores, dtype=float)
    truth = np.asarray(y_true, dtype=int)
    top, confidence = decide(scores, classes)
    out = {}
    for k, name in enumerate(classes):
        if not np.any(truth == k):
            out[name] = {"value": INITIAL_THRESHOLD, "f1": None, "set_by": "initial"}
            continue
        f1s = np.array([_f1_at(top, confidence, truth, k, t) for t in THRESHOLD_STEPS])
        best = f1s.max()
        hits = np.flatnonzero(np.isclose(f1s, best))
        runs = np.split(hits, np.flatnonzero(np.diff(hits) != 1) + 1)
        longest = max(runs, key=len)
        value = float(THRESHOLD_STEPS[longest[(len(longest) - 1) // 2]])
        out[name] = {"value": value, "f1": round(float(best), 4), "set_by": "max-f1"}
    return out


def cell_histograms(
    scores: np.ndarray, y_true: Sequence[int], classes: Sequence[str], bins: int = HISTOGRAM_BINS
) -> list[list[list[int]]]:
    """For every confusion-matrix cell, a histogram of the verdict's confidence (bins over 0..1)."""
    scores = np.asarray(scores, dtype=float)
    n_classes = len(classes)
    hist = np.zeros((n_classes, n_classes, bins), dtype=int)
    if len(scores):
        top, confidence = decide(scores, classes)
        where = np.minimum((confidence * bins).astype(int), bins - 1)
        np.add.at(hist, (np.asarray(y_true, dtype=int), top, where), 1)
    return hist.tolist()


def per_group(
    scores: np.ndarray, y_true: Sequence[int], groups: Sequence[str], classes: Sequence[str], bad_class: str = "Bad"
) -> dict[str, dict]:
    """Accuracy and Bad recall and precision of each group (plot type) of a test set.

    A model shared by several plot types can be good on one and poor on another; one figure for
    all of them hides that.
    """
    scores = np.asarray(scores, dtype=float).reshape(-1, len(classes))
    truth = np.asarray(y_true, dtype=int)
    names = np.asarray(list(groups), dtype=object)
    out = {}
    for group in sorted(set(names.tolist())):
        mask = names == group
        predicted = decide(scores[mask], classes, bad_class)[0]
        bad = per_class_metrics(confusion_matrix(truth[mask], predicted, len(classes)), classes).get(bad_class, {})
        out[str(group)] = {
            "tested_on": int(mask.sum()),
            "accuracy": round(float(np.mean(predicted == truth[mask])), 4),
            "bad_recall": bad.get("recall"),
            "bad_precision": bad.get("precision"),
        }
    return out


def evaluate(scores: np.ndarray, y_true: Sequence[int], classes: Sequence[str], bad_class: str = "Bad") -> dict:
    """Everything the model page shows about a test set, as JSON-ready values."""
    scores = np.asarray(scores, dtype=float).reshape(-1, len(classes))
    truth = np.asarray(y_true, dtype=int)
    predicted = decide(scores, classes, bad_class)[0]
    matrix = confusion_matrix(truth, predicted, len(classes))
    metrics = per_class_metrics(matrix, classes)
    thresholds = max_f1_thresholds(scores, truth, classes)
    accuracy = float(np.mean(predicted == truth)) if len(truth) else None
    bad = metrics.get(bad_class, {})
    values = {name: t["value"] for name, t in thresholds.items()}
    confirmed = [v.confirmed for v in verdicts(scores, classes, values)]
    return {
        "tested_on": int(len(truth)),
        "accuracy": round(accuracy, 4) if accuracy is not None else None,
        "bad_recall": bad.get("recall"),
        "bad_precision": bad.get("precision"),
        "confirmed_share": round(float(np.mean(confirmed)), 4) if confirmed else None,
        "per_class": metrics,
        "confusion_matrix": matrix.tolist(),
        "histograms": cell_histograms(scores, truth, classes),
        "thresholds": thresholds,
    }
