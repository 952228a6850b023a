"""Embedding maps per plot type: encode every plot, lay them out by t-SNE, cluster, score, store.

``compute`` rebuilds a map; ``place_new`` puts plots that arrived since on the existing map by
k-NN interpolation in embedding space, without moving anything already there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.utils import timezone

from apps.core.events import publish_on_commit
from apps.plots.models import Plot, PlotType
from apps.validation import anomalies, model_inputs, storage
from apps.validation.choices import EmbeddingMethod
from apps.validation.models import EmbeddingSpace, PlotEmbedding
from ml import maps, outliers
from ml.embeddings import DEFAULT_SIZE, PixelEncoder, stack_blobs, to_blob

log = logging.getLogger(__name__)
Progress = Callable[[float, str], None]
BATCH = 2000


def _quiet(progress: float, message: str) -> None:
    pass


class ClassifierEncoder:
    """The penultimate layer of the plot type's active classifier (apps.monitoring), when there is one."""

    kind = "classifier"

    def __init__(self, path: str):
        import keras

        from ml import model_files

        model, info = model_files.load(path)
        head = model.get_layer("predictions")
        self.model = keras.Model(model.inputs, head.input, name="penultimate")
        self.input_shape = tuple(int(v) for v in info.input_shape)
        self.path = path

    @property
    def dim(self) -> int:
        return int(self.model.output_shape[-1])

    def encode_plots(self, plots) -> np.ndarray:
        from ml.data import load_images

        pixels = load_images([storage.plot_image_path(p) for p in plots], self.input_shape)
        return np.asarray(self.model.predict(pixels, batch_size=64, verbose=0), dtype=np.float32)


def active_classifier_path(plot_type: PlotType) -> str | None:
    """The file of the plot type's active, ready classifier, if the monitoring app has one."""
    try:
        from apps.monitoring.models import ActiveModel
    except ImportError:
        return None
    active = ActiveModel.objects.filter(plot_type=plot_type).select_related("model").first()
    if active is None or active.model.status != "ready" or not active.model.path:
        return None
    path = storage.absolute(active.model.path)
    return str(path) if path.exists() else None


def _encoder(space: EmbeddingSpace):
    """The encoder a map was made with, rebuilt from its file."""
    from ml.autoencoder import AutoencoderEncoder

    if space.method == EmbeddingMethod.PIXELS:
        return PixelEncoder.load(storage.absolute(space.encoder_path))
    if space.method == EmbeddingMethod.AUTOENCODER:
        from ml import autoencoder

        row = anomalies.AutoencoderModel.objects.filter(path=space.encoder_path).first()
        model = anomalies.load_model(row) if row else autoencoder.load(storage.absolute(space.encoder_path))[0]
        return AutoencoderEncoder(model)
    return ClassifierEncoder(str(storage.absolute(space.encoder_path)))


def _encode(encoder, plots, size) -> np.ndarray:
    if isinstance(encoder, ClassifierEncoder):
        return encoder.encode_plots(plots)
    return encoder.encode(model_inputs.model_inputs(plots, size))


def _autoencoder_encoder(plot_type, *, size, epochs, seed, job, progress: Progress):
    """Train the plot type's autoencoder; its encoder, file and input size."""
    from ml.autoencoder import AutoencoderEncoder

    row, _ = anomalies.train(
        plot_type,
        epochs=epochs,
        size=size,
        seed=seed,
        job=job,
        progress=lambda f, m: progress(0.02 + 0.4 * f, f"autoencoder: {m}"),
    )
    return AutoencoderEncoder(anomalies.load_model(row)), row.path, tuple(row.input_shape[:2])


def _pixel_encoder(plot_type, plots, *, size, seed):
    """Fit a pixel PCA encoder on a sample of up to 3000 plots and store it; the encoder and its file."""
    rng = np.random.default_rng(seed)
    sample = [plots[i] for i in sorted(rng.choice(len(plots), min(len(plots), 3000), replace=False))]
    encoder = PixelEncoder.fit(model_inputs.model_inputs(sample, size), dim=32, seed=seed)
    encoder_path = storage.relative("maps", plot_type.pk, "pixels.npz")
    encoder.save(storage.absolute(encoder_path))
    storage.publish(encoder_path)
    return encoder, encoder_path


def _classifier_encoder(plot_type):
    """The active classifier's penultimate layer and its file, relative to the storage root."""
    path = active_classifier_path(plot_type)
    if path is None:
        raise ValueError(f"{plot_type.name} has no active, ready classifier to take embeddings from")
    return ClassifierEncoder(path), str(storage.absolute(path).relative_to(storage.absolute("")))


def _new_encoder(plot_type, plots, method, *, size, autoencoder_epochs, seed, job, progress: Progress):
    """The encoder for ``method``, made anew: (encoder, its file, the input size it takes)."""
    if method == EmbeddingMethod.AUTOENCODER:
        return _autoencoder_encoder(
            plot_type, size=size, epochs=autoencoder_epochs, seed=seed, job=job, progress=progress
        )
    if method == EmbeddingMethod.PIXELS:
        return (*_pixel_encoder(plot_type, plots, size=size, seed=seed), size)
    if method == EmbeddingMethod.CLASSIFIER:
        return (*_classifier_encoder(plot_type), size)
    raise ValueError(f"unknown embedding method {method!r}")


def _embed(encoder, plots, size, progress: Progress) -> np.ndarray:
    """Every plot's embedding, in batches of ``BATCH``."""
    vectors = np.zeros((len(plots), encoder.dim), dtype=np.float32)
    for start, part in model_inputs.chunks(plots, BATCH):
        vectors[start : start + len(part)] = _encode(encoder, part, size)
        progress(0.45 + 0.25 * (start + len(part)) / len(plots), f"embedded {start + len(part)}/{len(plots)} plots")
    return vectors


@dataclass
class _Map:
    """A laid-out map: the t-SNE layout, clusters, and per-plot outlier and mislabel scores."""

    layout: maps.MapResult
    clusters: np.ndarray
    different: np.ndarray
    mislabel: np.ndarray
    suggested: list


def _lay_out(vectors, plots, *, engine, cluster_method, n_clusters, seed, progress: Progress) -> _Map:
    """Lay the embeddings out by t-SNE, cluster the map and score each plot."""
    progress(0.72, "t-SNE map")
    layout = maps.tsne_map(vectors, engine=engine, seed=seed)
    progress(0.85, f"map by {layout.engine} in {layout.seconds:.1f} s; clusters and scores")
    # Clusters are found on the map itself, so they are the islands people see; silhouette on the
    # raw embeddings tends to split off only the most distant group (e.g. empty plots) and stop.
    if cluster_method == "hdbscan":
        clusters = maps.hdbscan_clusters(layout.coords)
    else:
        clusters = maps.kmeans_clusters(layout.coords, k=n_clusters, seed=seed)
    different = outliers.outlier_scores(vectors, clusters)
    labels = [p.label_class_id for p in plots]
    mislabel, suggested = outliers.mislabel_scores(vectors, labels)
    return _Map(layout, clusters, different, mislabel, suggested)


def _points(space: EmbeddingSpace, plots, vectors, laid: _Map) -> list[PlotEmbedding]:
    """One stored point per plot of a freshly computed map."""
    coords = laid.layout.coords
    return [
        PlotEmbedding(
            space=space,
            plot_id=p.pk,
            vector=to_blob(vectors[i]),
            x=float(coords[i, 0]),
            y=float(coords[i, 1]),
            cluster=int(laid.clusters[i]),
            outlier_score=float(laid.different[i]),
            mislabel_score=float(laid.mislabel[i]),
            suggested_label_id=laid.suggested[i] if laid.suggested[i] != p.label_class_id else None,
        )
        for i, p in enumerate(plots)
    ]


def _store(plot_type, method, plots, vectors, laid: _Map, *, dim, encoder_path, cluster_method, size, job):
    """Replace the plot type's map for ``method`` with the new points and describe it; the map."""
    layout = laid.layout
    with transaction.atomic():
        space, _ = EmbeddingSpace.objects.get_or_create(plot_type=plot_type, method=method)
        space.points.all().delete()
        PlotEmbedding.objects.bulk_create(_points(space, plots, vectors, laid), batch_size=1000)
        space.dim = dim
        space.encoder_path = encoder_path
        space.engine = layout.engine
        space.cluster_method = cluster_method
        space.n_clusters = len({int(c) for c in laid.clusters if c >= 0})
        space.n_points = len(plots)
        space.info = {**layout.info, "tsne_seconds": round(layout.seconds, 2), "size": list(size)}
        space.job = job
        space.computed_at = timezone.now()
        space.save()
        _announce(space)
    return space


def compute(
    plot_type: PlotType,
    method: str = EmbeddingMethod.AUTOENCODER,
    *,
    engine: str = "auto",
    cluster_method: str = "kmeans",
    n_clusters: int | None = None,
    size: tuple[int, int] = DEFAULT_SIZE,
    autoencoder_epochs: int = 30,
    seed: int = 0,
    job=None,
    progress: Progress = _quiet,
) -> EmbeddingSpace:
    """(Re)build the plot type's map for ``method``: one stored vector and map position per plot."""
    plots = list(Plot.objects.filter(plot_type=plot_type).only("id", "image", "label_class_id").order_by("id"))
    if len(plots) < 2:
        raise ValueError(f"{plot_type.name} has {len(plots)} plot(s); a map needs at least 2")
    progress(0.02, f"{len(plots)} plots of {plot_type.name}")
    encoder, encoder_path, size = _new_encoder(
        plot_type,
        plots,
        method,
        size=size,
        autoencoder_epochs=autoencoder_epochs,
        seed=seed,
        job=job,
        progress=progress,
    )
    vectors = _embed(encoder, plots, size, progress)
    laid = _lay_out(
        vectors,
        plots,
        engine=engine,
        cluster_method=cluster_method,
        n_clusters=n_clusters,
        seed=seed,
        progress=progress,
    )
    space = _store(
        plot_type,
        method,
        plots,
        vectors,
        laid,
        dim=encoder.dim,
        encoder_path=encoder_path,
        cluster_method=cluster_method,
        size=size,
        job=job,
    )
    progress(1.0, f"map of {len(plots)} plots, {space.n_clusters} clusters")
    return space


def place_new(space: EmbeddingSpace, plot_ids=None, k: int = 10) -> int:
    """Put plots of the map's plot type that are not on it yet onto it, without recomputing; return how many."""
    todo = Plot.objects.filter(plot_type_id=space.plot_type_id).exclude(embeddings__space=space)
    if plot_ids is not None:
        todo = todo.filter(pk__in=plot_ids)
    plots = list(todo.only("id", "image").order_by("id"))
    if not plots:
        return 0
    existing = list(space.points.filter(placed=False).values_list("vector", "x", "y", "cluster", "outlier_score"))
    if not existing:
        return 0
    X = stack_blobs(e[0] for e in existing)
    coords = np.array([(e[1], e[2]) for e in existing], dtype=np.float32)
    clusters = np.array([e[3] for e in existing])
    # The "how different" of a newcomer: where its mean neighbour distance ranks among the map's own.
    from sklearn.neighbors import NearestNeighbors

    kk = max(1, min(k, len(X) - 1))
    index = NearestNeighbors(n_neighbors=kk + 1).fit(X)
    own = np.sort(index.kneighbors(X)[0][:, 1:].mean(axis=1))
    encoder = _encoder(space)
    size = tuple(space.info.get("size") or DEFAULT_SIZE)
    placed = 0
    for _start, part in model_inputs.chunks(plots, BATCH):
        vectors = _encode(encoder, part, size)
        positions = maps.place(vectors, X, coords, k=k)
        dist, nearest = index.kneighbors(vectors, n_neighbors=kk)
        ranks = np.searchsorted(own, dist.mean(axis=1)) / max(1, len(own))
        PlotEmbedding.objects.bulk_create(
            [
                PlotEmbedding(
                    space=space,
                    plot_id=p.pk,
                    vector=to_blob(vectors[i]),
                    x=float(positions[i, 0]),
                    y=float(positions[i, 1]),
                    cluster=int(clusters[nearest[i, 0]]),
                    outlier_score=float(min(1.0, ranks[i])),
                    placed=True,
                )
                for i, p in enumerate(part)
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        placed += len(part)
    space.n_points = space.points.count()
    EmbeddingSpace.objects.filter(pk=space.pk).update(n_points=space.n_points)
    _announce(space, placed=placed)
    return placed


def _announce(space: EmbeddingSpace, **extra) -> None:
    publish_on_commit(
        "validation",
        "validation.updated",
        {"kind": "map", "space": space.pk, "plot_type": space.plot_type_id, "points": space.n_points, **extra},
    )
