"""Autoencoders per plot type: train on Good plots, score every plot, draw per-pixel error maps.

Training is skipped when the active autoencoder was trained on exactly the same plots (same
fingerprint) and its file is intact; scoring then only fills in the plots that lack a score.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
from django.db import transaction

from apps.labels.choices import Meaning
from apps.plots.models import Plot, PlotType
from apps.validation import images, storage
from apps.validation.models import AnomalyScore, AutoencoderModel

log = logging.getLogger(__name__)

MIN_GOOD = 8
MAX_TRAIN = 4000
Progress = Callable[[float, str], None]


def _quiet(progress: float, message: str) -> None:
    pass


def training_plots(plot_type: PlotType) -> tuple[list[Plot], str]:
    """The plots to learn "normal" from: Good-labeled real plots, or every real plot when too few are labeled."""
    real = Plot.objects.filter(plot_type=plot_type, simulated_failure="").only("id", "image", "sha256")
    good = list(real.filter(label_class__meaning=Meaning.GOOD).order_by("id")[:MAX_TRAIN])
    if len(good) >= MIN_GOOD:
        return good, "good"
    return list(real.order_by("id")[:MAX_TRAIN]), f"all (fewer than {MIN_GOOD} Good labels)"


def fingerprint(plots, extra: dict) -> str:
    digest = hashlib.sha256(repr(sorted(extra.items())).encode())
    for p in sorted(plots, key=lambda p: p.pk):
        digest.update(f"{p.pk}:{p.sha256};".encode())
    return digest.hexdigest()


def active(plot_type_id: int) -> AutoencoderModel | None:
    return AutoencoderModel.objects.filter(plot_type_id=plot_type_id, is_active=True).order_by("-created_at").first()


def train(
    plot_type: PlotType,
    *,
    epochs: int = 30,
    size: tuple[int, int] = (48, 64),
    latent_dim: int = 32,
    filters=(16, 32, 64),
    seed: int = 0,
    job=None,
    progress: Progress = _quiet,
    force: bool = False,
) -> tuple[AutoencoderModel, bool]:
    """Train (or reuse) the plot type's autoencoder and score its plots; return ``(model row, trained?)``."""
    from ml import autoencoder

    plots, source = training_plots(plot_type)
    if len(plots) < 2:
        raise ValueError(f"{plot_type.name} has {len(plots)} plot(s); an autoencoder needs at least 2")
    options = {"size": list(size), "latent_dim": latent_dim, "filters": list(filters), "epochs": epochs, "seed": seed}
    print_ = fingerprint(plots, options)
    current = active(plot_type.pk)
    if current and not force and current.fingerprint == print_ and storage.absolute(current.path).exists():
        progress(0.5, f"the Good plots did not change since autoencoder #{current.pk}: not retrained")
        score_missing(current, progress=lambda f, m: progress(0.5 + 0.5 * f, m))
        return current, False

    progress(0.02, f"loading {len(plots)} training plots ({source})")
    data = images.model_inputs(plots, size)
    trained = autoencoder.train(
        data,
        latent_dim=latent_dim,
        filters=tuple(filters),
        epochs=epochs,
        seed=seed,
        progress=lambda epoch, total, loss: progress(
            0.05 + 0.6 * epoch / total, f"epoch {epoch}/{total}: loss {loss:.5f}"
        ),
    )
    rel = storage.new_model_file("autoencoders", plot_type.pk)
    autoencoder.save(trained, storage.absolute(rel), fingerprint=print_, extra=options)
    storage.publish(rel)
    row = storage.replace_active(
        AutoencoderModel,
        plot_type,
        path=rel,
        input_shape=[size[0], size[1], 1],
        threshold=trained.threshold,
        threshold_method=trained.threshold_method,
        trained_on=len(plots),
        fingerprint=print_,
        metrics={
            "training_set": source,
            "epochs_run": len(trained.history.get("loss", [])),
            "final_loss": (trained.history.get("loss") or [None])[-1],
            "train_score_mean": float(np.mean(trained.train_scores)),
            "train_score_max": float(np.max(trained.train_scores)),
        },
        job=job,
    )
    _cache_put(storage.absolute(rel), trained.model)
    score_missing(row, progress=lambda f, m: progress(0.65 + 0.35 * f, m))
    return row, True


# -- loading, with a small per-process cache (web pages ask for error maps one plot at a time) --------------------

_models: OrderedDict = OrderedDict()
_lock = threading.Lock()
CACHE_SIZE = 4


def _cache_put(path, model) -> None:
    with _lock:
        _models[str(path)] = model
        while len(_models) > CACHE_SIZE:
            _models.popitem(last=False)


def load_model(row: AutoencoderModel):
    from ml import autoencoder

    path = str(storage.absolute(row.path))
    with _lock:
        if path in _models:
            _models.move_to_end(path)
            return _models[path]
    model, _info = autoencoder.load(path)
    _cache_put(path, model)
    return model


def score_missing(row: AutoencoderModel, progress: Progress = _quiet, plot_ids=None) -> int:
    """Score the plots of the row's plot type that this autoencoder has not scored yet; return how many."""
    from ml import autoencoder

    size = tuple(row.input_shape[:2])
    todo = Plot.objects.filter(plot_type_id=row.plot_type_id).exclude(anomaly_scores__model=row)
    if plot_ids is not None:
        todo = todo.filter(pk__in=plot_ids)
    plots = list(todo.only("id", "image").order_by("id"))
    if not plots:
        return 0
    model = load_model(row)
    for start, part in images.chunks(plots):
        scores = autoencoder.reconstruction_errors(model, images.model_inputs(part, size))
        AnomalyScore.objects.bulk_create(
            [
                AnomalyScore(model=row, plot=p, score=float(s), anomalous=bool(s > row.threshold))
                for p, s in zip(part, scores, strict=True)
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        progress(min(1.0, (start + len(part)) / len(plots)), f"scored {start + len(part)}/{len(plots)} plots")
    return len(plots)


def set_threshold(row: AutoencoderModel, value: float) -> None:
    """A user's threshold: re-mark every score of this model against it."""
    with transaction.atomic():
        AutoencoderModel.objects.filter(pk=row.pk).update(threshold=value, threshold_set_by="user")
        AnomalyScore.objects.filter(model=row).update(anomalous=False)
        AnomalyScore.objects.filter(model=row, score__gt=value).update(anomalous=True)
    row.threshold, row.threshold_set_by = value, "user"


def error_map(row: AutoencoderModel, plot: Plot) -> bytes:
    """The plot's per-pixel reconstruction error as a heat-map PNG the size of the plot (cached on disk)."""
    from ml import autoencoder

    rel = storage.relative("errormaps", row.pk, f"{plot.pk}.png")
    path = storage.absolute(rel)
    if path.exists():
        return path.read_bytes()
    size = tuple(row.input_shape[:2])
    maps = autoencoder.error_maps(load_model(row), images.model_inputs([plot], size))
    # Full heat at the error level that makes a plot anomalous, so maps of one plot type compare.
    scale = max(row.threshold, 1e-6)
    data = autoencoder.error_map_png(maps[0], scale=scale, size=(plot.width, plot.height))
    storage.write_bytes(rel, data)
    return data
