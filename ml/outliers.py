"""Which plots are different, and which labels disagree with their neighbours — without labels for the first.

- ``centroid_scores``: distance to the own cluster's centre, in units of that cluster's typical distance.
- ``uniqueness_scores``: mean distance to the nearest other plots (large in sparse places).
- ``rarity_scores``: how small the own cluster is (a tight group of broken plots is no outlier
  within its cluster, but the whole group is unlike the bulk of the plots).
- ``outlier_scores``: the three combined into one number in [0, 1] (the mean of their percentile ranks).
- ``mislabel_scores``: for labeled points, the distance-weighted share of labeled neighbours that
  carry another label, and the label those neighbours suggest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def centroid_scores(X: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Distance to the own cluster's centre divided by the cluster's median distance (noise: to the nearest centre)."""
    X = np.asarray(X, dtype=np.float64)
    clusters = np.asarray(clusters)
    scores = np.zeros(len(X))
    labels = [c for c in np.unique(clusters) if c >= 0]
    if not labels:
        centre = X.mean(axis=0)
        dist = np.linalg.norm(X - centre, axis=1)
        return dist / (np.median(dist) or 1.0)
    centres = np.stack([X[clusters == c].mean(axis=0) for c in labels])
    for i, c in enumerate(labels):
        members = clusters == c
        dist = np.linalg.norm(X[members] - centres[i], axis=1)
        scores[members] = dist / (np.median(dist) or 1.0)
    noise = clusters < 0
    if noise.any():
        dist = np.linalg.norm(X[noise, None, :] - centres[None], axis=2).min(axis=1)
        typical = np.median(scores[~noise]) if (~noise).any() else 1.0
        scores[noise] = dist / (typical or 1.0)
    return scores


def uniqueness_scores(X: np.ndarray, k: int | None = None) -> np.ndarray:
    """Mean distance to the ``k`` nearest other points (FiftyOne's "uniqueness"): large in sparse places.

    ``k`` defaults to n/20 within [5, 30], so a small group of alike broken plots still reaches
    past itself to the bulk and stands out, while a plot among many alike ones does not.
    """
    from sklearn.neighbors import NearestNeighbors

    n = len(X)
    if n < 3:
        return np.zeros(n)
    k = max(1, min(k or min(30, max(5, n // 20)), n - 1))
    # kneighbors() without a query leaves each point out of its own neighbours.
    dist, _ = NearestNeighbors(n_neighbors=k).fit(np.asarray(X, dtype=np.float32)).kneighbors()
    return dist.mean(axis=1)


def rarity_scores(clusters: np.ndarray) -> np.ndarray:
    """1 minus the share of all points in the own cluster (noise points, -1, count as a cluster of one)."""
    clusters = np.asarray(clusters)
    n = len(clusters)
    if n == 0:
        return np.zeros(0)
    labels, inverse, counts = np.unique(clusters, return_inverse=True, return_counts=True)
    sizes = np.where(labels[inverse] < 0, 1, counts[inverse])
    return 1.0 - sizes / n


def _percentile_rank(values: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return (rankdata(values, method="average") - 1) / max(1, len(values) - 1)


def outlier_scores(X: np.ndarray, clusters: np.ndarray, k: int | None = None) -> np.ndarray:
    """One "how different" score in [0, 1] per point: mean percentile rank of uniqueness, rarity, centroid distance."""
    if len(X) == 0:
        return np.zeros(0)
    parts = (uniqueness_scores(X, k), rarity_scores(clusters), centroid_scores(X, clusters))
    return sum(_percentile_rank(p) for p in parts) / len(parts)


def mislabel_scores(X: np.ndarray, labels: Sequence, k: int = 10) -> tuple[np.ndarray, list]:
    """Per point: the weighted share of its ``k`` nearest labeled neighbours with another label, and their majority.

    ``labels`` holds a label per point, None for unlabeled ones (which score 0 and are only
    neighbours of nobody). A score near 1 means every close labeled plot says something else.
    """
    from sklearn.neighbors import NearestNeighbors

    labels = list(labels)
    n = len(labels)
    scores = np.zeros(n)
    suggested: list = [None] * n
    labeled = np.array([lab is not None for lab in labels])
    idx_labeled = np.flatnonzero(labeled)
    if idx_labeled.size < 3:
        return scores, suggested
    X = np.asarray(X, dtype=np.float32)
    k = max(1, min(k, idx_labeled.size - 1))
    dist, nn = NearestNeighbors(n_neighbors=k + 1).fit(X[idx_labeled]).kneighbors(X[idx_labeled])
    # Column 0 is the point itself (or an exact duplicate); drop whichever entry is the point.
    for row, i in enumerate(idx_labeled):
        neigh = [(idx_labeled[j], d) for j, d in zip(nn[row], dist[row], strict=True) if idx_labeled[j] != i][:k]
        weights: dict = {}
        total = 0.0
        for j, d in neigh:
            w = 1.0 / (d + 1e-6)
            weights[labels[j]] = weights.get(labels[j], 0.0) + w
            total += w
        if total == 0:
            continue
        majority = max(weights, key=weights.get)
        scores[i] = 1.0 - weights.get(labels[i], 0.0) / total
        suggested[i] = majority
    return scores, suggested


def top(scores: np.ndarray, n: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``n`` highest scores (within ``mask``), highest first."""
    scores = np.asarray(scores, dtype=float)
    candidates = np.arange(len(scores)) if mask is None else np.flatnonzero(mask)
    if candidates.size == 0:
        return candidates
    order = np.argsort(-scores[candidates], kind="stable")
    return candidates[order[:n]]
