"""Calibrated probabilities and confirmation thresholds that mean something.

Temperature scaling: one number T divides the logits of every output, fitted on calibration runs by
minimising the negative log-likelihood; an over-confident network gets T > 1 and scores that match
how often it is right. Thresholds are then chosen per class to reach a target precision of confirmed
verdicts on the same calibration runs (the smallest threshold that reaches it), so "confirmed Good"
means "Good at that precision"; a doubtful verdict stays unconfirmed and asks for a second opinion.

Plain numpy, no TensorFlow and no Django: the worker and the web process both import it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ml.evaluation import THRESHOLD_STEPS, decide, max_f1_thresholds

# T is searched in [MIN_T, MAX_T] on a log scale.
MIN_T, MAX_T = 0.05, 20.0
EPS = 1e-7


def _logits(probs: np.ndarray) -> np.ndarray:
    return np.log(np.clip(np.asarray(probs, dtype=float), EPS, 1.0))


def apply_temperature(probs: np.ndarray, temperature: float | None) -> np.ndarray:
    """Softmax probabilities ``probs`` (rows) rescaled by temperature ``T`` (None or 1: unchanged)."""
    probs = np.asarray(probs, dtype=float)
    if temperature is None or abs(float(temperature) - 1.0) < 1e-9 or probs.size == 0:
        return probs
    z = _logits(probs) / float(temperature)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def nll(probs: np.ndarray, truth: Sequence[int]) -> float:
    """Mean negative log-likelihood of the true classes."""
    probs = np.asarray(probs, dtype=float)
    truth = np.asarray(truth, dtype=int)
    if not len(truth):
        return 0.0
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(truth)), truth], EPS, 1.0))))


def fit_temperature(probs: np.ndarray, truth: Sequence[int]) -> float:
    """The temperature minimising the NLL of ``truth`` (1.0 when there is nothing to fit on).

    A coarse grid over log T, then golden-section refinement around the best grid point.
    """
    probs = np.asarray(probs, dtype=float)
    truth = np.asarray(truth, dtype=int)
    if len(truth) < 2 or len(set(truth.tolist())) < 1:
        return 1.0

    def loss(log_t: float) -> float:
        return nll(apply_temperature(probs, float(np.exp(log_t))), truth)

    grid = np.linspace(np.log(MIN_T), np.log(MAX_T), 61)
    losses = [loss(g) for g in grid]
    best = int(np.argmin(losses))
    lo, hi = grid[max(0, best - 1)], grid[min(len(grid) - 1, best + 1)]
    ratio = (np.sqrt(5) - 1) / 2
    a, b = lo, hi
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    for _ in range(40):
        if loss(c) < loss(d):
            b = d
        else:
            a = c
        c, d = b - ratio * (b - a), a + ratio * (b - a)
    log_t = (a + b) / 2
    # Never worse than no scaling at all.
    if loss(log_t) > loss(0.0):
        return 1.0
    return round(float(np.exp(log_t)), 4)


def precision_at(scores: np.ndarray, truth: np.ndarray, k: int, t: float, classes=None) -> tuple[float | None, int]:
    """Precision of confirmed verdicts of class ``k`` at threshold ``t`` and how many there are.

    Verdicts follow ``ml.evaluation.decide`` when ``classes`` are given, the top class otherwise."""
    if classes is not None:
        top, confidence = decide(scores, classes)
    else:
        top, confidence = scores.argmax(axis=1), scores.max(axis=1)
    confirmed = (top == k) & (confidence >= t)
    n = int(confirmed.sum())
    if not n:
        return None, 0
    return float(np.mean(truth[confirmed] == k)), n


def precision_threshold(scores: np.ndarray, truth: Sequence[int], k: int, target: float, classes=None) -> dict:
    """The smallest threshold in 0.00..1.00 at which confirmed verdicts of class ``k`` reach ``target`` precision.

    Returns ``{"value", "precision", "target", "reached"}``; when no threshold reaches the target
    (or the class is never the top class), the value is 1.0: every verdict of the class then asks
    for a second opinion, and ``reached`` is False.
    """
    scores = np.asarray(scores, dtype=float)
    truth = np.asarray(truth, dtype=int)
    if len(scores):
        for t in THRESHOLD_STEPS:
            precision, n = precision_at(scores, truth, k, float(t), classes)
            if n and precision >= target - 1e-12:
                return {"value": float(t), "precision": round(precision, 4), "target": target, "reached": True}
    return {"value": 1.0, "precision": None, "target": target, "reached": False}


def unconfirmed_share(scores: np.ndarray, classes: Sequence[str], thresholds: Mapping[str, float]) -> float | None:
    """Share of verdicts whose top score stays below its class's threshold."""
    scores = np.asarray(scores, dtype=float)
    if not len(scores):
        return None
    top, confidence = decide(scores, classes)
    limits = np.array([float(thresholds.get(c, 0.5)) for c in classes])
    return round(float(np.mean(confidence < limits[top])), 4)


def split_runs(runs: Sequence[int]) -> tuple[set[int], set[int]]:
    """Held-out runs split into (calibration, test), by run: every other run in run order.

    With a single held-out run there is nothing to split: both are that run (the caller notes it).
    """
    ordered = sorted(set(int(r) for r in runs))
    if len(ordered) < 2:
        return set(ordered), set(ordered)
    return set(ordered[0::2]), set(ordered[1::2])


@dataclass
class Calibration:
    """What calibration decided: the temperature, the thresholds and where they were measured."""

    temperature: float
    thresholds: dict[str, dict]
    calibration_runs: list[int]
    test_runs: list[int]
    calibration_plots: int
    unconfirmed_share: float | None
    nll_before: float
    nll_after: float
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "temperature": self.temperature,
            "calibration_runs": self.calibration_runs,
            "test_runs": self.test_runs,
            "calibration_plots": self.calibration_plots,
            "unconfirmed_share": self.unconfirmed_share,
            "nll_before": round(self.nll_before, 4),
            "nll_after": round(self.nll_after, 4),
            "notes": self.notes,
        }


def calibrate(
    scores: np.ndarray, truth: Sequence[int], classes: Sequence[str], targets: Mapping[str, float] | None
) -> tuple[float, dict[str, dict], float | None, float, float]:
    """Fit T on (``scores``, ``truth``) and choose thresholds on the rescaled scores.

    Classes named in ``targets`` get the smallest threshold reaching that precision
    (``set_by`` "precision-target"); the others keep the max-F1 rule. Returns (T, thresholds,
    unconfirmed share, NLL before, NLL after).
    """
    scores = np.asarray(scores, dtype=float).reshape(-1, len(classes))
    truth = np.asarray(truth, dtype=int)
    temperature = fit_temperature(scores, truth)
    scaled = apply_temperature(scores, temperature)
    thresholds = max_f1_thresholds(scaled, truth, classes)
    for k, name in enumerate(classes):
        target = (targets or {}).get(name)
        if target is None:
            continue
        chosen = precision_threshold(scaled, truth, k, float(target), classes)
        thresholds[name] = {**chosen, "set_by": "precision-target"}
    values = {n: t["value"] for n, t in thresholds.items()}
    return temperature, thresholds, unconfirmed_share(scaled, classes, values), nll(scores, truth), nll(scaled, truth)
