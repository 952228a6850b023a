"""Worker side of training and evaluation: data from the database, ``ml`` for the rest.

Imported by the actors only when they run; it imports TensorFlow through ``ml``.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
from django.db import transaction
from django.utils import timezone

from apps.core import files
from apps.monitoring import gating, registry, services
from apps.monitoring.models import ClassifierModel
from apps.monitoring.training_data import excluded_classes, model_plot_types, plot_id, training_examples
from ml import calibration, data, evaluation, model_files
from ml.training import HyperParameters, train

log = logging.getLogger(__name__)
# Plots listed where model and experts disagree, per model.
MAX_DISAGREEMENTS = 200


def local_examples(examples: list[data.Example]) -> list[data.Example]:
    """The examples with local image files: on object storage each image is fetched once into the cache."""
    if files.local_root() is not None:
        return examples
    return [replace(e, path=str(files.local_path(e.path))) for e in examples]


def model_relpath(model: ClassifierModel) -> str:
    return f"models/{model.plot_type_id}/{model.pk}-v{model.version}-{model.architecture}.keras"


def _class_ids(model: ClassifierModel, names: list[str]) -> list[int | None]:
    from apps.labels.models import LabelClass

    by_name = dict(
        LabelClass.objects.filter(experiment_id=model.plot_type.experiment_id, name__in=names).values_list("name", "id")
    )
    return [by_name.get(n) for n in names]


def _keep_user_thresholds(old: dict, new: dict) -> dict:
    merged = dict(new)
    for name, entry in (old or {}).items():
        if entry.get("set_by") == "user" and name in merged:
            merged[name] = entry
    return merged


def _disagreements(examples, scores, classes) -> list[dict]:
    rows = []
    verdicts, confidences = evaluation.decide(scores, classes)
    for e, top, confidence in zip(examples, verdicts.tolist(), confidences.tolist(), strict=True):
        if classes[top] != e.label:
            rows.append({"plot": plot_id(e), "label": e.label, "verdict": classes[top], "confidence": confidence})
    rows.sort(key=lambda r: -r["confidence"])
    return rows[:MAX_DISAGREEMENTS]


def _evaluate(keras_model, examples, classes, input_shape, bad_class: str, targets: dict | None = None) -> dict:
    """Scores on the held-out ``examples``, calibrated and measured on separate runs.

    The held-out runs are split by run into calibration runs (temperature and confirmation
    thresholds are fitted there, ``ml.calibration``) and test runs (every figure is measured there).
    With one held-out run both are that run, and the metrics say so.
    """
    images = data.load_images([e.path for e in examples], input_shape)
    scores = keras_model.predict(images, verbose=0, batch_size=64) if len(images) else images.reshape(0, len(classes))
    index = {c: i for i, c in enumerate(classes)}
    known = [i for i, e in enumerate(examples) if e.label in index]
    scores = scores[known] if len(known) else scores[:0]
    examples = [examples[i] for i in known]
    truth = np.asarray([index[e.label] for e in examples], dtype=int)
    scores = np.asarray(scores, dtype=float).reshape(-1, len(classes))
    cal_runs, test_runs = calibration.split_runs([e.run for e in examples])
    cal = np.asarray([e.run in cal_runs for e in examples], dtype=bool)
    test = np.asarray([e.run in test_runs for e in examples], dtype=bool)
    temperature, thresholds, unconfirmed, nll_before, nll_after = calibration.calibrate(
        scores[cal], truth[cal], classes, targets
    )
    scaled = calibration.apply_temperature(scores, temperature)
    tested = [e for e, t in zip(examples, test, strict=True) if t]
    result = evaluation.evaluate(scaled[test], truth[test], classes, bad_class)
    values = {name: t["value"] for name, t in thresholds.items()}
    share = calibration.unconfirmed_share(scaled[test], classes, values)
    result["thresholds"] = thresholds
    result["confirmed_share"] = None if share is None else round(1 - share, 4)
    result["calibration"] = {
        "temperature": temperature,
        "calibration_runs": sorted(cal_runs),
        "test_runs": sorted(test_runs),
        "calibration_plots": int(cal.sum()),
        "unconfirmed_share": unconfirmed,
        "targets": dict(targets or {}),
        "nll_before": round(nll_before, 4),
        "nll_after": round(nll_after, 4),
        "separate": not (cal_runs & test_runs),
    }
    result["per_plot_type"] = evaluation.per_group(
        scaled[test], truth[test], [e.group for e in tested], classes, bad_class
    )
    result["disagreements"] = _disagreements(tested, scaled[test], classes)
    result["predicted_classes"] = gating.predicted_classes(scaled[test], classes)
    result["truth_classes"] = sorted({e.label for e in tested})
    result["test_examples"] = tested
    return result


def run_training(model_id: int, job, activate: bool | None = None, classify: bool = False) -> ClassifierModel:
    """Train the queued ``ClassifierModel``, evaluate it on its test runs, save it, maybe activate it."""
    model = ClassifierModel.objects.select_related("plot_type", "parent", "created_by").get(pk=model_id)
    model.status = ClassifierModel.Status.TRAINING
    model.save(update_fields=["status"])
    try:
        return _train(model, job, activate, classify)
    except Exception as exc:
        ClassifierModel.objects.filter(pk=model.pk).update(
            status=ClassifierModel.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:5000]
        )
        model.remove_checkpoint()  # a failed model is never resumed
        raise


def _train(model: ClassifierModel, job, activate: bool | None, classify: bool = False) -> ClassifierModel:
    hp = HyperParameters.from_dict(model.hyper_parameters)
    result = _fit(model, job, hp)
    resumed = f"; resumed after epoch {result.resumed_from}" if result.resumed_from else ""
    job.report(0.93, f"trained in {result.seconds:.0f} s (best epoch {result.best_epoch}{resumed}); evaluating")
    shape = result.hyper_parameters.resolved_input_shape()
    tested = result.split.test or result.split.validation
    evaluated_on = "test" if result.split.test else "validation"
    metrics = _evaluate(result.model, tested, result.classes, shape, hp.bad_class, hp.target_precision)
    relpath = model_relpath(model)
    info = _save_model_file(result, metrics, shape, hp, relpath)
    _store_trained(model, result, metrics, info, shape, relpath, evaluated_on)
    gate = _gate(model, metrics, hp.bad_class)
    model.metrics = {**model.metrics, "gate": gate}
    model.save(update_fields=["metrics"])
    should_activate = _activate_after_training(model, gate, activate, classify)
    _finish_training_job(job, model, result, metrics, gate, evaluated_on, activate, should_activate)
    return model


def _fit(model: ClassifierModel, job, hp: HyperParameters):
    """Train on the labeled plots of the model's plot types, from its parent if it has one, reporting each epoch."""
    examples = local_examples(training_examples(model_plot_types(model)))
    excluded = excluded_classes(model.plot_type)
    job.report(0.01, f"{len(examples)} labeled plots; training {hp.architecture} for up to {hp.epochs} epochs")
    parent = parent_classes = None
    if model.parent and model.parent.path:
        parent, info = model_files.load(model.parent.path_path())
        parent_classes = info.label_map

    def progress(p):
        message = f"epoch {p.epoch}/{p.epochs}: loss {p.loss:.4f}, accuracy {p.accuracy:.3f}"
        if p.val_loss is not None:
            message += f", val loss {p.val_loss:.4f}, val accuracy {p.val_accuracy:.3f}"
        job.report(0.02 + 0.9 * p.epoch / p.epochs, message, epoch=p.epoch, epochs=p.epochs, history=p.history)

    # A worker killed mid-training leaves the state of its last epoch here; the next attempt continues from it.
    return train(
        examples,
        hp,
        excluded=excluded,
        parent=parent,
        parent_classes=parent_classes,
        progress=progress,
        checkpoint_dir=model.checkpoint_path(),
    )


def _save_model_file(result, metrics: dict, shape, hp: HyperParameters, relpath: str) -> model_files.ModelInfo:
    """Write the trained model with its description to ``relpath`` in storage; returns the description."""
    info = model_files.ModelInfo(
        label_map=result.classes,
        input_shape=list(shape),
        architecture=hp.architecture,
        hyper_parameters=result.hyper_parameters.as_dict(),
        fingerprint=result.fingerprint,
        metrics={
            **{k: metrics[k] for k in ("tested_on", "accuracy", "bad_recall", "bad_precision")},
            "temperature": metrics["calibration"]["temperature"],
        },
    )
    files.save_model(lambda path: model_files.save(result.model, path, info), relpath)
    return info


def _store_trained(model: ClassifierModel, result, metrics: dict, info, shape, relpath: str, evaluated_on: str) -> None:
    """Record the training's outcome on the model row, mark it ready and drop its checkpoint."""
    model.label_map = result.classes
    model.class_ids = _class_ids(model, result.classes)
    model.input_shape = list(shape)
    model.fingerprint = result.fingerprint
    model.training_plot_ids = sorted({plot_id(e) for e in result.split.train + result.split.validation})
    model.test_plot_ids = sorted({plot_id(e) for e in result.split.test})
    model.curves = {**result.history, "best_epoch": result.best_epoch}
    model.confusion_matrix = {"matrix": metrics["confusion_matrix"], "histograms": metrics["histograms"]}
    model.thresholds = _keep_user_thresholds(model.thresholds, metrics["thresholds"])
    model.metrics = {
        **{k: metrics[k] for k in ("tested_on", "accuracy", "bad_recall", "bad_precision", "confirmed_share")},
        "evaluated_on": evaluated_on,
        "per_class": metrics["per_class"],
        "per_plot_type": metrics["per_plot_type"],
        "disagreements": metrics["disagreements"],
        "calibration": metrics["calibration"],
        "counts": result.counts,
        "notes": result.notes,
        "training_seconds": round(result.seconds, 1),
        "frameworks": info.frameworks,
        "resumed_from_epoch": result.resumed_from,
    }
    model.path = relpath
    model.status = ClassifierModel.Status.READY
    model.trained_at = timezone.now()
    model.error = ""
    model.save()
    model.remove_checkpoint()


def _activate_after_training(model: ClassifierModel, gate: dict, activate: bool | None, classify: bool) -> bool:
    """Activate the model for the plot types its gate passes; whether it was activated."""
    # Activation after training is always gated (apps.monitoring.gating); False never activates.
    targets = gating.passing_types(gate) if activate is not False else []
    should_activate = bool(targets)
    if should_activate:
        with transaction.atomic():
            registry.activate(
                model, user=model.created_by, note="activated after training", check=False, plot_types=targets
            )
            if classify:
                # The plots already stored get their first verdicts too, not only new ones.
                services.queue_unclassified(targets, user=model.created_by)
    return should_activate


def _finish_training_job(
    job, model: ClassifierModel, result, metrics: dict, gate: dict, evaluated_on: str, activate, should_activate: bool
) -> None:
    accuracy = metrics["accuracy"]
    summary = (
        f"{model} ready: accuracy {accuracy:.3f} on {metrics['tested_on']} {evaluated_on} plots"
        if accuracy
        else (f"{model} ready")
    )
    if not should_activate and activate is not False:
        summary += "; not activated: " + (gating.why_worse(model) or "the active model stays")
    job.finish(
        summary + (" and activated" if should_activate else ""),
        model=model.pk,
        history=result.history,
        accuracy=accuracy,
        bad_recall=metrics["bad_recall"],
        activated=should_activate,
        gate={"worse": gate["worse"], "reasons": gate["reasons"]},
    )


def _gate(model: ClassifierModel, metrics: dict, bad_class: str) -> dict:
    """Compare the candidate with the models active now, on the candidate's test runs."""
    from apps.plots.models import PlotType

    names = dict(PlotType.objects.filter(pk__in=model.covered_type_ids()).values_list("pk", "name"))
    active = gating.active_figures(model, metrics["test_examples"], bad_class=bad_class)
    return gating.decide(
        metrics["per_plot_type"],
        active,
        names,
        metrics["predicted_classes"],
        metrics["truth_classes"],
        metrics["accuracy"],
    )


def evaluation_examples(model: ClassifierModel) -> list[data.Example]:
    """The labeled weight-0 plots of the model's plot type, else the model's own test plots."""
    examples = local_examples(training_examples(model_plot_types(model)))
    test = [e for e in examples if e.weight == 0]
    if not test and model.test_plot_ids:
        wanted = set(model.test_plot_ids)
        test = [e for e in examples if plot_id(e) in wanted]
    return test


def run_evaluation(model_id: int, job) -> ClassifierModel:
    """Re-evaluate a ready model on the current labels of its test plots; max-F1 thresholds follow."""
    model = ClassifierModel.objects.select_related("plot_type").get(pk=model_id)
    if model.status not in (ClassifierModel.Status.READY, ClassifierModel.Status.RETIRED):
        raise ValueError(f"{model} is {model.status}; only a trained model can be evaluated")
    keras_model, info = model_files.load(model.local_path())
    examples = evaluation_examples(model)
    job.report(0.1, f"evaluating on {len(examples)} plots")
    bad = (model.hyper_parameters or {}).get("bad_class", "Bad")
    targets = (model.hyper_parameters or {}).get("target_precision", {"Good": 0.99})
    metrics = _evaluate(keras_model, examples, list(info.label_map), tuple(info.input_shape), bad, targets)
    model.confusion_matrix = {"matrix": metrics["confusion_matrix"], "histograms": metrics["histograms"]}
    model.thresholds = _keep_user_thresholds(model.thresholds, metrics["thresholds"])
    model.metrics = {
        **(model.metrics or {}),
        **{k: metrics[k] for k in ("tested_on", "accuracy", "bad_recall", "bad_precision", "confirmed_share")},
        "evaluated_on": "test",
        "per_class": metrics["per_class"],
        "per_plot_type": metrics["per_plot_type"],
        "disagreements": metrics["disagreements"],
        "calibration": metrics["calibration"],
        "evaluated_at": timezone.now().isoformat(timespec="seconds"),
    }
    model.save(update_fields=["confusion_matrix", "thresholds", "metrics"])
    job.finish(
        f"{model}: accuracy {metrics['accuracy']} on {metrics['tested_on']} plots",
        **{k: metrics[k] for k in ("tested_on", "accuracy", "bad_recall", "bad_precision")},
    )
    return model
