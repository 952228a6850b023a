"""Temperature scaling and precision-targeted thresholds (ml.calibration), on data with known answers."""

import numpy as np

from ml import calibration


def _overconfident(n=400, seed=0):
    """A two-class model right 80 % of the time that says 0.99 every time."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, size=n)
    right = rng.random(n) < 0.8
    predicted = np.where(right, truth, 1 - truth)
    scores = np.full((n, 2), 0.01)
    scores[np.arange(n), predicted] = 0.99
    return scores, truth


def test_temperature_scaling_reduces_the_nll_of_an_overconfident_model():
    scores, truth = _overconfident()
    temperature = calibration.fit_temperature(scores, truth)
    scaled = calibration.apply_temperature(scores, temperature)
    assert temperature > 1.5  # softened
    assert calibration.nll(scaled, truth) < 0.6 * calibration.nll(scores, truth)
    # Calibrated: the top score now says how often the model is right (0.8).
    assert abs(float(scaled.max(axis=1).mean()) - 0.8) < 0.03
    # The verdicts themselves do not change, only their confidence.
    assert (scaled.argmax(axis=1) == scores.argmax(axis=1)).all()


def test_temperature_is_one_when_nothing_to_fit_and_scaling_by_one_changes_nothing():
    scores = np.array([[0.3, 0.7]])
    assert calibration.fit_temperature(scores, [1]) == 1.0
    assert np.allclose(calibration.apply_temperature(scores, 1.0), scores)
    assert np.allclose(calibration.apply_temperature(scores, None), scores)


def test_the_precision_threshold_is_the_smallest_that_reaches_the_target():
    # Class 1 (Good) is the top class of every plot; sorted by score, the wrong ones are the least confident.
    good = [0.55, 0.60, 0.70, 0.80, 0.85, 0.90, 0.95, 0.97]
    truth = [0, 0, 1, 0, 1, 1, 1, 1]
    scores = np.array([[1 - s, s] for s in good])
    # At 0.81 and above: 0.85..0.97, all Good -> precision 1.0; at 0.71..0.80, 0.80 (Bad) is still in: 4/5.
    chosen = calibration.precision_threshold(scores, truth, 1, 0.99)
    assert chosen == {"value": 0.81, "precision": 1.0, "target": 0.99, "reached": True}
    # 5/7 Good from 0.56 up (0.60 and 0.80 wrong): 0.714; from 0.61: 5/6 = 0.833.
    assert calibration.precision_threshold(scores, truth, 1, 0.8)["value"] == 0.61
    assert calibration.precision_threshold(scores, truth, 1, 0.5)["value"] == 0.0
    # Never reached: every verdict of the class asks for a second opinion.
    never = calibration.precision_threshold(scores, [0] * 8, 1, 0.99)
    assert never["value"] == 1.0 and never["reached"] is False


def test_calibrate_sets_targeted_classes_and_keeps_max_f1_for_the_others():
    good = [0.55, 0.60, 0.70, 0.80, 0.85, 0.90, 0.95, 0.97]
    truth = [0, 0, 1, 0, 1, 1, 1, 1]
    scores = np.array([[1 - s, s] for s in good])
    temperature, thresholds, unconfirmed, before, after = calibration.calibrate(
        scores, truth, ["Bad", "Good"], {"Good": 0.99}
    )
    assert after <= before + 1e-9
    assert thresholds["Good"]["set_by"] == "precision-target" and thresholds["Good"]["reached"]
    assert thresholds["Bad"]["set_by"] == "max-f1"  # no target for Bad: the max-F1 rule
    scaled = calibration.apply_temperature(scores, temperature)
    values = {k: v["value"] for k, v in thresholds.items()}
    assert unconfirmed == calibration.unconfirmed_share(scaled, ["Bad", "Good"], values)
    # Confirmed Good verdicts on these runs are all right.
    confirmed = scaled[:, 1] >= values["Good"]
    assert confirmed.any() and all(np.asarray(truth)[confirmed] == 1)


def test_held_out_runs_are_split_by_run_into_calibration_and_test():
    cal, test = calibration.split_runs([7, 3, 3, 5, 9, 7])
    assert cal == {3, 7} and test == {5, 9} and not cal & test
    assert calibration.split_runs([4, 4]) == ({4}, {4})
