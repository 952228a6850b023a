"""The activation gate: a newly trained model replaces the active one only when it is not worse.

After training, the candidate and each active model it would replace are scored on the same
held-out test runs (the candidate's), per plot type the candidate serves. The candidate is
activated automatically for a plot type only when its Bad recall and its accuracy there are not
below the active model's by more than ``HYDRA_ACTIVATION_TOLERANCE``; a model that calls every
held-out plot the same class, or whose accuracy is under ``HYDRA_ACTIVATION_MIN_ACCURACY``, is
never activated automatically. The comparison is kept in ``metrics["gate"]`` and shown on the model
page and in the API. Activating by hand a model the gate found worse needs a reason, which goes
into the Activation note and the audit log.

Web processes import this module; TensorFlow is loaded only inside ``active_figures`` (worker side).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError

DEFAULT_TOLERANCE = 0.01
DEFAULT_MIN_ACCURACY = 0.5


def tolerance() -> float:
    return float(getattr(settings, "ACTIVATION_TOLERANCE", DEFAULT_TOLERANCE))


def min_accuracy() -> float:
    return float(getattr(settings, "ACTIVATION_MIN_ACCURACY", DEFAULT_MIN_ACCURACY))


def predicted_classes(scores, classes) -> list[str]:
    """The classes the model gave as a verdict at least once on these scores."""
    from ml.evaluation import decide

    return sorted({classes[i] for i in decide(scores, classes)[0].tolist()})


def _worse(candidate: dict, active: dict, tol: float) -> list[str]:
    """What the candidate does worse than the active model beyond ``tol`` (empty: not worse)."""
    reasons = []
    for key, label in (("bad_recall", "Bad recall"), ("accuracy", "accuracy")):
        mine, theirs = candidate.get(key), active.get(key)
        if theirs is None:
            continue  # nothing to compare with (e.g. no Bad plot among the held-out runs)
        if mine is None or mine < theirs - tol:
            reasons.append(f"{label} {_fmt(mine)} < {_fmt(theirs)}")
    return reasons


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def decide(
    candidate_figures: dict[str, dict],
    active: dict[str, dict],
    type_names: dict[int, str],
    predicted: list[str],
    truth_classes: list[str],
    overall_accuracy: float | None,
) -> dict:
    """The gate's verdict as stored in ``metrics["gate"]``.

    ``candidate_figures``: per plot type name, the candidate's figures on its test runs.
    ``active``: per plot type name, ``{"model": id, "name": str, "figures": {...}}`` of the model active
    there now, evaluated on the same plots. ``type_names``: id → name of every plot type covered.
    Each plot type gets ``passes``: may this candidate become its active model automatically.
    """
    tol, floor = tolerance(), min_accuracy()
    reasons = []
    collapsed = len(truth_classes) > 1 and len(predicted) <= 1
    if collapsed:
        reasons.append(
            f"it gives one verdict ({predicted[0] if predicted else 'none'}) for every held-out plot"
            f" of {len(truth_classes)} classes"
        )
    if overall_accuracy is None:
        reasons.append("it was not tested on any held-out plot")
    elif overall_accuracy < floor:
        reasons.append(f"its accuracy {overall_accuracy:.3f} is under the floor {floor:.3f}")
    per_type = {}
    for type_id, name in sorted(type_names.items(), key=lambda kv: kv[1]):
        mine = candidate_figures.get(name) or {"tested_on": 0}
        theirs = active.get(name)
        row = {"plot_type": type_id, "candidate": mine, "active": theirs}
        if theirs is not None and mine.get("tested_on"):
            worse = _worse(mine, theirs.get("figures") or {}, tol)
            row["outcome"] = "worse: " + "; ".join(worse) if worse else "not worse"
            row["passes"] = not worse and not reasons
        elif theirs is not None:
            row["outcome"], row["passes"] = "not tested on this plot type", False
        else:
            row["outcome"], row["passes"] = "no active model", not reasons
        if reasons and not row["outcome"].startswith("worse"):
            row["outcome"] = f"refused ({row['outcome']})"
        per_type[name] = row
    worse_types = [n for n, r in per_type.items() if r["outcome"].startswith("worse")]
    return {
        "tolerance": tol,
        "min_accuracy": floor,
        "collapsed": collapsed,
        "predicted_classes": predicted,
        "reasons": reasons,
        "per_plot_type": per_type,
        # A manual activation of a model flagged here needs a reason.
        "worse": bool(reasons or worse_types),
    }


def passing_types(gate: dict) -> list[int]:
    return sorted(r["plot_type"] for r in (gate.get("per_plot_type") or {}).values() if r.get("passes"))


def found_worse(model) -> bool:
    return bool(((model.metrics or {}).get("gate") or {}).get("worse"))


def why_worse(model) -> str:
    gate = (model.metrics or {}).get("gate") or {}
    parts = list(gate.get("reasons") or [])
    for name, row in (gate.get("per_plot_type") or {}).items():
        if str(row.get("outcome", "")).startswith("worse"):
            parts.append(f"{name}: {row['outcome']}")
    return "; ".join(parts)


def check_manual(model, reason: str) -> str:
    """A manual activation of a model the gate found worse needs a reason; returns the note to log."""
    reason = (reason or "").strip()
    if found_worse(model) and not reason:
        raise ValidationError(
            f"{model} did worse than the active model or failed the checks after training ({why_worse(model)}): "
            "give a reason to activate it anyway"
        )
    return reason


def comparison_rows(model) -> list[dict]:
    """Rows of the candidate-vs-active table on the model page."""
    gate = (model.metrics or {}).get("gate") or {}
    rows = []
    for name, row in (gate.get("per_plot_type") or {}).items():
        active = row.get("active") or {}
        rows.append(
            {
                "plot_type": name,
                "candidate": row.get("candidate") or {},
                "active": active.get("figures") or {},
                "active_name": active.get("name"),
                "active_model": active.get("model"),
                "outcome": row.get("outcome"),
                "passes": row.get("passes"),
            }
        )
    return rows


def active_figures(candidate, examples, scores_by_type=None, bad_class: str = "Bad") -> dict[str, dict]:
    """Figures of the models active now for the candidate's plot types, on ``examples`` (its test runs).

    Returns ``{plot type name: {"model", "name", "figures", "overlap"}}``; ``overlap`` counts test plots
    the active model had learned from (its figures there are flattered). Loads each model once.
    """
    from apps.monitoring.models import ActiveModel
    from apps.monitoring.training_data import plot_id
    from ml import calibration, data, evaluation, model_files

    covered = candidate.covered_type_ids()
    actives = (
        ActiveModel.objects.filter(plot_type_id__in=covered)
        .exclude(model_id=candidate.pk)
        .select_related("plot_type", "model")
    )
    by_model: dict[int, tuple[object, list[str]]] = {}
    for entry in actives:
        by_model.setdefault(entry.model_id, (entry.model, []))[1].append(entry.plot_type.name)
    out = {}
    for model, names in by_model.values():
        mine = [e for e in examples if e.group in names]
        if not model.path or not mine:
            for name in names:
                out[name] = {"model": model.pk, "name": str(model), "figures": {"tested_on": 0}, "overlap": 0}
            continue
        keras_model, info = model_files.load(model.local_path())
        classes = list(info.label_map)
        index = {c: i for i, c in enumerate(classes)}
        mine = [e for e in mine if e.label in index]
        images = data.load_images([e.path for e in mine], tuple(info.input_shape))
        scores = keras_model.predict(images, verbose=0, batch_size=64) if len(images) else None
        temperature = ((model.metrics or {}).get("calibration") or {}).get("temperature")
        scores = calibration.apply_temperature(scores, temperature) if scores is not None else []
        figures = evaluation.per_group(
            scores, [index[e.label] for e in mine], [e.group for e in mine], classes, bad_class
        )
        learned = set(model.training_plot_ids or [])
        for name in names:
            overlap = sum(1 for e in mine if e.group == name and plot_id(e) in learned)
            out[name] = {
                "model": model.pk,
                "name": str(model),
                "figures": figures.get(name, {"tested_on": 0}),
                "overlap": overlap,
            }
    return out
