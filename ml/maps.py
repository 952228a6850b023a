"""2-D maps of embeddings (t-SNE), clusters, placing new points, and downsampling for display.

``tsne_map`` picks its engine by size (measured on 2 CPUs with bench/tsne_maps.py): scikit-learn's
Barnes-Hut t-SNE below ``SMALL`` points; openTSNE's FFT-accelerated t-SNE up to ``OPENTSNE_MAX``
(10,000 points: 42 s against scikit-learn's 105 s; 100,000: 251 s, 0.9 GB); beyond that, or without
openTSNE above ``SKLEARN_MAX``, t-SNE of a random ``SUBSAMPLE`` with every other point placed by
k-NN interpolation (``place``: 100,000 points in 79 s, 0.3 GB) — the same method that puts new
plots on an existing map without recomputing it.
Clusters come from k-means (k chosen by silhouette) or HDBSCAN, both from scikit-learn.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

SMALL = 5_000
SKLEARN_MAX = 20_000
OPENTSNE_MAX = 200_000
SUBSAMPLE = 10_000
PCA_DIM = 50


@dataclass
class MapResult:
    """Map coordinates (N, 2) float32 and how they were made."""

    coords: np.ndarray
    engine: str
    seconds: float
    info: dict = field(default_factory=dict)


def _reduce(X: np.ndarray, dim: int = PCA_DIM, seed: int = 0) -> np.ndarray:
    """PCA to ``dim`` dimensions when wider: t-SNE's neighbour search is faster and no worse for it."""
    if X.shape[1] <= dim:
        return X.astype(np.float32, copy=False)
    from sklearn.decomposition import PCA

    return PCA(dim, random_state=seed).fit_transform(X).astype(np.float32)


def _perplexity(n: int, wanted: float) -> float:
    return float(max(2.0, min(wanted, (n - 1) / 3.0)))


def _sklearn_tsne(X: np.ndarray, perplexity: float, seed: int) -> np.ndarray:
    from sklearn.manifold import TSNE

    return TSNE(
        n_components=2,
        perplexity=_perplexity(len(X), perplexity),
        init="pca",
        learning_rate="auto",
        random_state=seed,
        n_jobs=-1,
    ).fit_transform(X)


def _opentsne(X: np.ndarray, perplexity: float, seed: int) -> np.ndarray:
    from openTSNE import TSNE

    return np.asarray(
        TSNE(
            perplexity=_perplexity(len(X), perplexity),
            initialization="pca",
            negative_gradient_method="fft",
            neighbors="auto",
            n_jobs=-1,
            random_state=seed,
        ).fit(X)
    )


def have_opentsne() -> bool:
    try:
        import openTSNE  # noqa: F401
    except ImportError:
        return False
    return True


def tsne_map(
    X: np.ndarray, *, engine: str = "auto", perplexity: float = 30.0, seed: int = 0, subsample: int = SUBSAMPLE
) -> MapResult:
    """A 2-D t-SNE map of the rows of ``X``.

    ``engine`` is "auto", "sklearn", "opentsne" or "subsample" (t-SNE of ``subsample`` random
    rows, the rest placed by k-NN). Tiny inputs (under 4 rows) are laid on a line.
    """
    started = time.perf_counter()
    X = np.asarray(X, dtype=np.float32)
    n = len(X)
    if n < 4:
        coords = np.zeros((n, 2), dtype=np.float32)
        coords[:, 0] = np.arange(n)
        return MapResult(coords, "trivial", time.perf_counter() - started)
    if engine == "auto":
        if n < SMALL:
            engine = "sklearn"
        elif have_opentsne():
            engine = "opentsne" if n <= OPENTSNE_MAX else "subsample"
        else:
            engine = "sklearn" if n <= SKLEARN_MAX else "subsample"
    reduced = _reduce(X, seed=seed)
    info: dict = {"n": n, "dim": int(X.shape[1]), "perplexity": _perplexity(n, perplexity)}
    if engine == "sklearn":
        coords = _sklearn_tsne(reduced, perplexity, seed)
    elif engine == "opentsne":
        coords = _opentsne(reduced, perplexity, seed)
    elif engine == "subsample":
        rng = np.random.default_rng(seed)
        chosen = np.sort(rng.choice(n, min(n, subsample), replace=False))
        coords = np.empty((n, 2), dtype=np.float32)
        fit = _opentsne if have_opentsne() and len(chosen) >= SMALL else _sklearn_tsne
        coords[chosen] = fit(reduced[chosen], perplexity, seed)
        rest = np.setdiff1d(np.arange(n), chosen)
        if rest.size:
            coords[rest] = place(reduced[rest], reduced[chosen], coords[chosen])
        info["fitted"] = int(chosen.size)
    else:
        raise ValueError(f"unknown t-SNE engine {engine!r}; use auto, sklearn, opentsne or subsample")
    return MapResult(np.asarray(coords, dtype=np.float32), engine, time.perf_counter() - started, info)


def place(new_X: np.ndarray, X: np.ndarray, coords: np.ndarray, k: int = 10) -> np.ndarray:
    """Map positions for ``new_X``: the inverse-distance weighted mean of its ``k`` nearest neighbours' positions.

    The neighbours are found in embedding space, so a new plot lands among the plots it resembles
    and the existing map does not move.
    """
    from sklearn.neighbors import NearestNeighbors

    new_X = np.asarray(new_X, dtype=np.float32)
    if len(new_X) == 0:
        return np.zeros((0, 2), dtype=np.float32)
    k = max(1, min(k, len(X)))
    dist, idx = NearestNeighbors(n_neighbors=k).fit(X).kneighbors(new_X)
    weights = 1.0 / np.maximum(dist, 1e-6)
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("nk,nkd->nd", weights, np.asarray(coords)[idx]).astype(np.float32)


def kmeans_clusters(X: np.ndarray, k: int | None = None, k_range=(2, 8), seed: int = 0, sample: int = 3000):
    """k-means labels (N,) int; without ``k``, the k in ``k_range`` with the best silhouette on a sample."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    X = np.asarray(X, dtype=np.float32)
    n = len(X)
    if n < 3:
        return np.zeros(n, dtype=int)
    if k is None:
        rng = np.random.default_rng(seed)
        probe = X if n <= sample else X[rng.choice(n, sample, replace=False)]
        best, best_score = 2, -2.0
        for candidate in range(k_range[0], min(k_range[1], len(probe) - 1) + 1):
            labels = KMeans(candidate, n_init=3, random_state=seed).fit_predict(probe)
            if len(set(labels)) < 2:
                continue
            score = silhouette_score(probe, labels)
            if score > best_score:
                best, best_score = candidate, score
        k = best
    return KMeans(min(k, n), n_init=4, random_state=seed).fit_predict(X).astype(int)


def hdbscan_clusters(X: np.ndarray, min_cluster_size: int | None = None) -> np.ndarray:
    """HDBSCAN labels (N,) int; -1 marks noise points that belong to no cluster."""
    from sklearn.cluster import HDBSCAN

    n = len(X)
    if n < 5:
        return np.zeros(n, dtype=int)
    size = min_cluster_size or max(5, n // 50)
    return HDBSCAN(min_cluster_size=min(size, n), copy=True).fit_predict(np.asarray(X, dtype=np.float32)).astype(int)


def cluster_purity(clusters: np.ndarray, truth: np.ndarray) -> float:
    """Share of points whose cluster's majority truth label is their own (1.0 = every cluster pure)."""
    clusters, truth = np.asarray(clusters), np.asarray(truth)
    if clusters.size == 0:
        return 1.0
    agree = 0
    for c in np.unique(clusters):
        members = truth[clusters == c]
        _, counts = np.unique(members, return_counts=True)
        agree += counts.max()
    return agree / clusters.size


def downsample(coords: np.ndarray, max_points: int, keep: np.ndarray | None = None, grid: int = 512) -> np.ndarray:
    """Indices of at most ``max_points`` points that keep the map's shape.

    Points are binned on a ``grid`` x ``grid`` raster; every occupied cell keeps points (dense
    cells are thinned, sparse ones kept whole) so outlying regions stay visible. Indices in
    ``keep`` (e.g. the top outliers) are always returned. The result is sorted.
    """
    n = len(coords)
    if n <= max_points:
        return np.arange(n)
    coords = np.asarray(coords, dtype=np.float64)
    low, high = coords.min(axis=0), coords.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    cells = np.minimum(((coords - low) / span * grid).astype(np.int64), grid - 1)
    cell_id = cells[:, 0] * grid + cells[:, 1]
    order = np.argsort(cell_id, kind="stable")
    sorted_ids = cell_id[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    rank = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    # The largest per-cell quota that fits the budget: binary search over the quota.
    counts = np.diff(np.r_[starts, n])
    lo, hi = 1, int(counts.max())
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if np.minimum(counts, mid).sum() <= max_points:
            lo = mid
        else:
            hi = mid - 1
    chosen = order[rank < lo]
    if len(chosen) > max_points:
        # More occupied cells than the budget: one point per cell is already too many, so thin evenly.
        chosen = np.sort(np.random.default_rng(0).choice(chosen, max_points, replace=False))
    if keep is not None and len(keep):
        chosen = np.union1d(chosen, np.asarray(keep, dtype=np.int64))
    return np.sort(chosen)
