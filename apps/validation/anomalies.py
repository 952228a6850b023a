"""Autoencoders per plot type: train on known-normal plots, score every plot, draw per-pixel error maps.

"Normal" is what an expert vouched for: plots labeled Good (a class whose meaning is "good"),
and unlabeled plots of reference campaigns; never simulated failures, plots labeled otherwise,
plots whose histogram had no entries, nor any other plot of a campaign under test. With fewer
than ``MIN_NORMAL`` such plots training is refused (``TooFewNormal``) rather than learning
"normal" from whatever arrived. A share of the normal plots is held out of training when there
are enough, and the threshold is a quantile of their scores.

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
from django.db.models import Q

from apps.labels.choices import Meaning
from apps.plots.models import Plot, PlotType
from apps.validation import model_inputs, storage
from apps.validation.models import AnomalyScore, AutoencoderModel

log = logging.getLogger(__name__)

MIN_NORMAL = 8
MAX_TRAIN = 4000
# With at least this many normal plots, every HOLD_OUT-th is kept out of training to set the threshold.
MIN_HELD_OUT_SET = 25
HOLD_OUT = 5
Progress = Callable[[float, str], None]


class TooFewNormal(ValueError):
    """Too few plots labeled Good or in reference campaigns to learn what normal looks like."""


def _quiet(progress: float, message: str) -> None:
    pass


def training_plots(plot_type: PlotType) -> tuple[list[Plot], str]:
    """The plots to learn "normal" from (Good-labeled, or unlabeled in a reference campaign) and a summary.

    Raises ``TooFewNormal`` with what to do when there are fewer than ``MIN_NORMAL``.
    """
    real = Plot.objects.filter(plot_type=plot_type, simulated_failure="").exclude(histogram_source__entries__lte=0)
    good = Q(label_class__meaning=Meaning.GOOD)
    reference = Q(campaign__is_reference=True, label_class__isnull=True)
    plots = list(
        real.filter(good | reference)
        .select_related("label_class")
        .only("id", "image", "sha256", "label_class__meaning")
        .order_by("id")[:MAX_TRAIN]
    )
    n_good = sum(1 for p in plots if p.label_class is not None)
    if len(plots) < MIN_NORMAL:
        raise TooFewNormal(
            f"{plot_type.name} has {n_good} plot(s) labeled Good and {len(plots) - n_good} unlabeled plot(s) in "
            f"reference campaigns; the autoencoder learns only from these and needs at least {MIN_NORMAL}: "
            "label Good plots, or mark a campaign with good plots as reference"
        )
    return plots, f"{n_good} Good-labeled, {len(plots) - n_good} reference-campaign plots"


def split(plots: list) -> tuple[list, list]:
    """(training, held-out) normal plots: every ``HOLD_OUT``-th held out when there are ``MIN_HELD_OUT_SET``."""
    if len(plots) < MIN_HELD_OUT_SET:
        return plots, []
    return (
        [p for i, p in enumerate(plots) if i % HOLD_OUT != HOLD_OUT - 1],
        [p for i, p in enumerate(plots) if i % HOLD_OUT == HOLD_OUT - 1],
    )


def fingerprint(plots, extra: dict) -> str:
    digest = hashlib.sha256(repr(sorted(extra.items())).encode())
    for p in sorted(plots, key=lambda p: p.pk):
        digest.update(f"{p.pk}:{p.sha256};".encode())
    return digest.hexdigest()


def active(plot_type_id: int) -> AutoencoderModel | None:
    return AutoencoderModel.objects.filter(plot_type_id=plot_type_id, is_active=True).order_by("-created_at").first()


def _fit(plots: list, source: str, size: tuple[int, int], options: dict, progress: Progress):
    """Fit an autoencoder on the normal plots, the held-out share setting the threshold.

    Returns ``(trained, number of plots fitted on, number held out)``.
    """
    from ml import autoencoder

    fit_on, held_out = split(plots)
    progress(0.02, f"loading {len(plots)} normal plots ({source}), {len(held_out)} held out for the threshold")
    data = model_inputs.model_inputs(fit_on, size)
    trained = autoencoder.train(
        data,
        latent_dim=options["latent_dim"],
        filters=tuple(options["filters"]),
        epochs=options["epochs"],
        seed=options["seed"],
        calibration=model_inputs.model_inputs(held_out, size) if held_out else None,
        quantile=options["quantile"],
        progress=lambda epoch, total, loss: progress(
            0.05 + 0.6 * epoch / total, f"epoch {epoch}/{total}: loss {loss:.5f}"
        ),
    )
    return trained, len(fit_on), len(held_out)


def _metrics(trained, source: str, held_out: int, quantile: float) -> dict:
    """What a trained autoencoder's row records about its training."""
    return {
        "training_set": source,
        "held_out": held_out,
        "quantile": quantile,
        "epochs_run": len(trained.history.get("loss", [])),
        "final_loss": (trained.history.get("loss") or [None])[-1],
        "train_score_mean": float(np.mean(trained.train_scores)),
        "train_score_max": float(np.max(trained.train_scores)),
    }


def _store(plot_type: PlotType, trained, *, size, options: dict, print_: str, trained_on: int, metrics: dict, job):
    """Save the trained autoencoder's file and make its row the plot type's active one; the row."""
    from ml import autoencoder

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
        trained_on=trained_on,
        fingerprint=print_,
        metrics=metrics,
        job=job,
    )
    _cache_put(storage.absolute(rel), trained.model)
    return row


def train(
    plot_type: PlotType,
    *,
    epochs: int = 30,
    size: tuple[int, int] = (48, 64),
    latent_dim: int = 32,
    filters=(16, 32, 64),
    seed: int = 0,
    quantile: float | None = None,
    job=None,
    progress: Progress = _quiet,
    force: bool = False,
) -> tuple[AutoencoderModel, bool]:
    """Train (or reuse) the plot type's autoencoder and score its plots; return ``(model row, trained?)``.

    ``quantile`` (default ``ml.autoencoder.QUANTILE``) of the held-out normal plots' scores is
    the threshold. Raises ``TooFewNormal`` when there is too little known-normal data.
    """
    from ml import autoencoder

    quantile = autoencoder.QUANTILE if quantile is None else float(quantile)
    plots, source = training_plots(plot_type)
    options = {
        "size": list(size),
        "latent_dim": latent_dim,
        "filters": list(filters),
        "epochs": epochs,
        "seed": seed,
        "quantile": quantile,
    }
    print_ = fingerprint(plots, options)
    current = active(plot_type.pk)
    if current and not force and current.fingerprint == print_ and storage.absolute(current.path).exists():
        progress(0.5, f"the normal plots did not change since autoencoder #{current.pk}: not retrained")
        score_missing(current, progress=lambda f, m: progress(0.5 + 0.5 * f, m))
        return current, False

    trained, trained_on, held_out = _fit(plots, source, size, options, progress)
    metrics = _metrics(trained, source, held_out, quantile)
    row = _store(
        plot_type, trained, size=size, options=options, print_=print_, trained_on=trained_on, metrics=metrics, job=job
    )
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
    for start, part in model_inputs.chunks(plots):
        scores = autoencoder.reconstruction_errors(model, model_inputs.model_inputs(part, size))
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
    maps = autoencoder.error_maps(load_model(row), model_inputs.model_inputs([plot], size))
    # Full heat at the error level that makes a plot anomalous, so maps of one plot type compare.
    scale = max(row.threshold, 1e-6)
    data = autoencoder.error_map_png(maps[0], scale=scale, size=(plot.width, plot.height))
    storage.write_bytes(rel, data)
    return data
