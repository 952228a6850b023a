"""Siamese models per plot type: train on labeled plots (real and simulated failures), score plot pairs."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from apps.plots.models import Plot, PlotType
from apps.validation import anomalies, model_inputs, storage
from apps.validation.models import SiameseModel

MAX_TRAIN = 3000
Progress = Callable[[float, str], None]


def _quiet(progress: float, message: str) -> None:
    pass


def active(plot_type_id: int) -> SiameseModel | None:
    return SiameseModel.objects.filter(plot_type_id=plot_type_id, is_active=True).order_by("-created_at").first()


def training_plots(plot_type: PlotType) -> list[Plot]:
    """Labeled plots of classes that may be trained on (simulated failures included)."""
    return list(
        Plot.objects.filter(plot_type=plot_type, label_class__isnull=False, label_class__excluded_from_training=False)
        .select_related("label_class")
        .only("id", "image", "sha256", "label_class__name")
        .order_by("-id")[:MAX_TRAIN]
    )


def _class_names(plot_type: PlotType, plots: list[Plot]) -> list[str]:
    """Each plot's label class name; raises ValueError unless there are at least two classes."""
    labels = [p.label_class.name for p in plots]
    if len(set(labels)) < 2:
        raise ValueError(
            f"{plot_type.name} needs labeled plots of at least two classes (e.g. Good and Bad); "
            "label some, or simulate failures to make a Bad set"
        )
    return labels


def _reference_index(plot_type: PlotType, plots: list[Plot]) -> int | None:
    """Where the plot type's reference plot is among ``plots``, if it is."""
    if not plot_type.reference_plot_id:
        return None
    return next((i for i, p in enumerate(plots) if p.pk == plot_type.reference_plot_id), None)


def _fit(plot_type: PlotType, plots, labels, *, size, filters, epochs, n_pairs, seed, progress: Progress):
    """Train a Siamese model on pairs of the labeled plots."""
    from ml import siamese

    reference = _reference_index(plot_type, plots)
    progress(0.05, f"loading {len(plots)} labeled plots")
    data = model_inputs.model_inputs(plots, size)
    return siamese.train(
        data,
        labels,
        reference=reference,
        n_pairs=n_pairs,
        filters=tuple(filters),
        epochs=epochs,
        seed=seed,
        progress=lambda epoch, total, loss: progress(
            0.1 + 0.85 * epoch / total, f"epoch {epoch}/{total}: loss {loss:.4f}"
        ),
    )


def _store(plot_type: PlotType, trained, plots, labels, *, size, options: dict, print_: str, job) -> SiameseModel:
    """Save the trained model's file and make its row the plot type's active one; the row."""
    from ml import siamese

    rel = storage.new_model_file("siamese", plot_type.pk)
    siamese.save(trained, storage.absolute(rel), fingerprint=print_, extra=options)
    storage.publish(rel)
    row = storage.replace_active(
        SiameseModel,
        plot_type,
        path=rel,
        input_shape=[size[0], size[1], 2],
        trained_on=len(plots),
        fingerprint=print_,
        metrics={**trained.metrics, "classes": sorted(set(labels))},
        job=job,
    )
    _put(str(storage.absolute(rel)), trained.model)
    return row


def train(
    plot_type: PlotType,
    *,
    epochs: int = 15,
    n_pairs: int = 3000,
    size: tuple[int, int] = (48, 64),
    filters=(16, 32, 64),
    seed: int = 0,
    job=None,
    progress: Progress = _quiet,
    force: bool = False,
) -> tuple[SiameseModel, bool]:
    """Train (or reuse, when the labeled plots did not change) the plot type's Siamese model."""
    plots = training_plots(plot_type)
    labels = _class_names(plot_type, plots)
    options = {"size": list(size), "filters": list(filters), "epochs": epochs, "pairs": n_pairs, "seed": seed}
    print_ = anomalies.fingerprint(plots, {**options, "labels": ",".join(labels)})
    current = active(plot_type.pk)
    if current and not force and current.fingerprint == print_ and storage.absolute(current.path).exists():
        progress(1.0, f"the labeled plots did not change since Siamese model #{current.pk}: not retrained")
        return current, False
    trained = _fit(
        plot_type,
        plots,
        labels,
        size=size,
        filters=filters,
        epochs=epochs,
        n_pairs=n_pairs,
        seed=seed,
        progress=progress,
    )
    row = _store(plot_type, trained, plots, labels, size=size, options=options, print_=print_, job=job)
    progress(
        1.0,
        f"Siamese model #{row.pk}: held-out pairs alike {trained.metrics.get('alike_mean')}, "
        f"unlike {trained.metrics.get('unlike_mean')}",
    )
    return row, True


_models: OrderedDict = OrderedDict()
_lock = threading.Lock()


def _put(path: str, model) -> None:
    with _lock:
        _models[path] = model
        while len(_models) > 4:
            _models.popitem(last=False)


def load_model(row: SiameseModel):
    from ml import siamese

    path = str(storage.absolute(row.path))
    with _lock:
        if path in _models:
            _models.move_to_end(path)
            return _models[path]
    model, _info = siamese.load(path)
    _put(path, model)
    return model


def scores(row: SiameseModel, plots: Sequence[Plot], reference: Plot) -> np.ndarray:
    """Siamese similarity (0..1) of each plot to ``reference``."""
    from ml import siamese

    size = tuple(row.input_shape[:2])
    model = load_model(row)
    ref = model_inputs.model_inputs([reference], size)
    out = [
        siamese.similarity(model, model_inputs.model_inputs(part, size), ref) for _s, part in model_inputs.chunks(plots)
    ]
    return np.concatenate(out) if out else np.zeros(0)
