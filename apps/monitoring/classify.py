"""Worker side of classification: cached models, batched inference, GradCAM files, verdict events.

One ``Classifier`` per model stays loaded in each worker process, keyed by model id and
the file's modification time, so a retrained file is picked up and nothing is loaded twice.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict

from django.db import transaction
from django.utils import timezone

from apps.core import files
from apps.core.events import publish
from apps.core.timing import timed
from apps.labels.choices import Meaning
from apps.labels.models import LabelClass
from apps.monitoring.models import ActiveModel, Classification, ClassifierModel
from apps.monitoring.signals import verdicts_recorded
from apps.plots.models import Plot
from ml.calibration import apply_temperature

log = logging.getLogger(__name__)
BATCH_SIZE = 64
MAX_CACHED_MODELS = 16

_cache: OrderedDict[tuple[int, float], object] = OrderedDict()
_cache_lock = threading.Lock()


def get_classifier(model: ClassifierModel):
    """The loaded, warmed-up ``ml.inference.Classifier`` of ``model`` (cached per process)."""
    from ml.inference import Classifier

    path = model.local_path()
    if path is None:
        raise ValueError(f"{model} has no model file")
    key = (model.pk, os.path.getmtime(path))
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        for old in [k for k in _cache if k[0] == model.pk]:
            del _cache[old]
        classifier = Classifier(str(path))
        _cache[key] = classifier
        while len(_cache) > MAX_CACHED_MODELS:
            _cache.popitem(last=False)
        return classifier


def model_temperature(model: ClassifierModel) -> float | None:
    """The temperature that calibrates the model's scores (None: not calibrated, scores as they are)."""
    return ((model.metrics or {}).get("calibration") or {}).get("temperature")


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _write_gradcam(heat, plot: Plot, model: ClassifierModel) -> str:
    from ml.gradcam import heatmap_png

    relpath = f"gradcam/m{model.pk}/{plot.pk}.png"
    files.put(relpath, heatmap_png(heat, (plot.width, plot.height)), overwrite=True)
    return relpath


def _classes_of(model: ClassifierModel) -> list[LabelClass]:
    ids = [i for i in (model.class_ids or []) if i]
    found = {c.pk: c for c in LabelClass.objects.filter(pk__in=ids)}
    by_name = {
        c.name: c
        for c in LabelClass.objects.filter(experiment_id=model.plot_type.experiment_id, name__in=model.label_map)
    }
    out = []
    for i, name in enumerate(model.label_map):
        cls = found.get(model.class_ids[i]) if i < len(model.class_ids or []) else None
        cls = cls or by_name.get(name)
        if cls is None:
            raise ValueError(f"{model}: label class {name!r} no longer exists")
        out.append(cls)
    return out


def event_payload(plot: Plot, row: Classification, cls: LabelClass) -> dict:
    """The ``verdicts.new`` event: enough for a runtime card to redraw itself."""
    return {
        "plot": plot.pk,
        "plot_type": plot.plot_type_id,
        "plot_type_name": plot.plot_type.name,
        "run": plot.run_number,
        "verdict": cls.name,
        "verdict_class": cls.pk,
        "colour": cls.colour,
        "bad": cls.meaning == Meaning.BAD,
        "confidence": round(row.confidence, 4),
        "confirmed": row.confirmed,
        "model": row.model_id,
        "thumbnail": plot.thumbnail_url,
        "image": plot.image_url,
        "gradcam": row.gradcam_url,
        "classified_at": row.created_at.isoformat(),
        "classification": row.pk,
    }


def classify(plot_ids, job=None, model_id: int | None = None, gradcam: bool = True) -> dict[str, int]:
    """Classify plots with their plot type's active model (or ``model_id``); store and announce verdicts."""
    plots = list(Plot.objects.filter(pk__in=list(plot_ids)).select_related("plot_type").order_by("id"))
    if model_id is not None:
        model = ClassifierModel.objects.select_related("plot_type").get(pk=model_id)
        groups = {model: [p for p in plots if p.plot_type_id == model.plot_type_id]}
    else:
        active = {
            a.plot_type_id: a.model
            for a in ActiveModel.objects.filter(plot_type_id__in={p.plot_type_id for p in plots}).select_related(
                "model__plot_type"
            )
        }
        groups = {}
        for plot in plots:
            if plot.plot_type_id in active:
                groups.setdefault(active[plot.plot_type_id], []).append(plot)
    counts = {"classified": 0, "bad": 0, "unconfirmed": 0, "skipped": len(plots) - sum(map(len, groups.values()))}
    total = max(1, len(plots))
    for model, members in groups.items():
        classifier = get_classifier(model)
        classes = _classes_of(model)
        thresholds = model.threshold_values()
        for start in range(0, len(members), BATCH_SIZE):
            batch = members[start : start + BATCH_SIZE]
            _classify_batch(classifier, model, classes, thresholds, batch, counts, gradcam)
            if job is not None:
                job.report(counts["classified"] / total, f"{counts['classified']}/{len(plots)} plots classified")
    return counts


def _classify_batch(classifier, model, classes, thresholds, batch, counts, gradcam: bool) -> None:
    with timed("classification", len(batch)):
        images = classifier.load(files.local_paths([p.image for p in batch]))
        # Calibrated probabilities: the temperature fitted on the model's calibration runs (ml.calibration).
        scores = apply_temperature(classifier.predict_arrays(images), model_temperature(model))
        verdicts = classifier.verdicts(scores, thresholds)
    heat = None
    if gradcam:
        with timed("gradcam", len(batch)):
            heat = classifier.gradcam(images, [v.index for v in verdicts])
    now = timezone.now()
    rows = []
    for i, (plot, v) in enumerate(zip(batch, verdicts, strict=True)):
        cls = classes[v.index]
        rows.append(
            Classification(
                plot=plot,
                model=model,
                plot_type_id=plot.plot_type_id,
                run_number=plot.run_number,
                verdict_class=cls,
                confidence=v.confidence,
                scores={name: round(float(s), 6) for name, s in zip(classifier.classes, scores[i], strict=True)},
                confirmed=v.confirmed,
                gradcam=_write_gradcam(heat[i], plot, model) if heat is not None else "",
            )
        )
        plot.verdict_class, plot.verdict_confidence = cls, v.confidence
        plot.verdict_confirmed, plot.classified_at = v.confirmed, now
        counts["classified"] += 1
        counts["bad"] += cls.meaning == Meaning.BAD
        counts["unconfirmed"] += not v.confirmed
    with transaction.atomic():
        # One verdict per plot and model: a job run again (its worker died) replaces, never duplicates.
        Classification.objects.filter(model=model, plot__in=batch).delete()
        created = Classification.objects.bulk_create(rows)
        if any(r.pk is None for r in created):
            # MySQL does not return ids from bulk inserts: read them back by plot and model.
            ids = dict(
                Classification.objects.filter(model=model, plot__in=batch)
                .order_by("plot_id", "id")
                .values_list("plot_id", "id")
            )
            for r in created:
                r.pk = ids.get(r.plot_id)
        Plot.objects.bulk_update(batch, ["verdict_class", "verdict_confidence", "verdict_confirmed", "classified_at"])
        payloads = []
        for plot, row in zip(batch, created, strict=True):
            if row.created_at is None:
                row.created_at = now
            payloads.append(event_payload(plot, row, row.verdict_class))
        transaction.on_commit(lambda: _push(payloads))
    # Keepers above (alarms) read the stored batch; one that fails must not fail the classification.
    for receiver, result in verdicts_recorded.send_robust(Classification, classification_ids=[r.pk for r in created]):
        if isinstance(result, Exception):
            log.error("%s failed on %d verdicts", receiver, len(created), exc_info=result)


def _push(payloads: list[dict]) -> None:
    """Announce a committed batch's verdicts, timed as the pipeline's last stage."""
    with timed("push", len(payloads)):
        for payload in payloads:
            publish("verdicts", "verdicts.new", payload)
