"""The explore page's data: every point of a map as one compact binary payload.

Layout (little-endian): ``b"HVM1"``, a uint32 header length, the JSON header (legends, counts,
bounds) padded to 4 bytes, then one column after another, each n long: plot id (uint32), x, y
(float32), run number (uint32), then uint16 codes for label, cluster, campaign, run period,
verdict and anomaly (index into the header's legend of that name; 0 = none), and the outlier
score (uint8, 0..255). About 34 bytes a point: 100,000 points are 3.4 MB, parsed with typed
arrays in a few milliseconds. Beyond ``max_points`` the map is downsampled on the server
(``ml.maps.downsample``), keeping the most different plots.
"""

from __future__ import annotations

import json
import struct

import numpy as np

from apps.experiments.models import Campaign, RunPeriod
from apps.labels.models import LabelClass
from apps.validation import anomalies
from apps.validation.models import AnomalyScore, EmbeddingSpace, PlotEmbedding
from ml.maps import downsample

MAGIC = b"HVM1"
MAX_POINTS = 100_000
PALETTE = (
    "#4c6ef5 #f59f00 #12b886 #e64980 #7950f2 #15aabf #fab005 #82c91e #fd7e14 #be4bdb "
    "#228be6 #40c057 #fa5252 #868e96 #20c997 #cc5de8"
).split()
NONE_COLOUR = "#adb5bd"
COLOUR_BY = {
    "label": "Label",
    "verdict": "Classifier verdict",
    "anomaly": "Autoencoder",
    "cluster": "Cluster",
    "run_period": "Run period",
    "campaign": "Campaign",
}


def _legend(names_colours: list[tuple[str, str]], none: str) -> list[dict]:
    return [{"name": none, "colour": NONE_COLOUR}] + [{"name": n, "colour": c} for n, c in names_colours]


def _codes(values, order: list) -> np.ndarray:
    index = {v: i + 1 for i, v in enumerate(order)}
    return np.fromiter((index.get(v, 0) for v in values), dtype=np.uint16, count=len(values))


def _verdicts(plot_type_id: int, plot_ids) -> tuple[dict[int, int], list[tuple[str, str]]]:
    """The active classifier's latest verdict class per plot, when the monitoring app has one."""
    try:
        from apps.monitoring.models import ActiveModel, Classification
    except ImportError:
        return {}, []
    active = ActiveModel.objects.filter(plot_type_id=plot_type_id).first()
    if active is None:
        return {}, []
    latest: dict[int, int] = {}
    for plot_id, cls in (
        Classification.objects.filter(model_id=active.model_id)
        .order_by("id")
        .values_list("plot_id", "verdict_class_id")
    ):
        latest[plot_id] = cls
    classes = {c.pk: (c.name, c.colour) for c in LabelClass.objects.filter(pk__in=set(latest.values()))}
    return latest, [classes[k] for k in sorted(classes)]


_FIELDS = (
    "plot_id",
    "x",
    "y",
    "cluster",
    "outlier_score",
    "plot__run_number",
    "plot__label_class_id",
    "plot__campaign_id",
    "plot__run_period_id",
)


def _columns(space: EmbeddingSpace) -> list:
    """The map's points as columns of ``_FIELDS``, by plot id."""
    rows = list(PlotEmbedding.objects.filter(space=space).order_by("plot_id").values_list(*_FIELDS))
    return list(zip(*rows, strict=True)) if rows else [[] for _ in range(len(_FIELDS))]


def _kept(xy: np.ndarray, outlier: np.ndarray, max_points: int) -> np.ndarray:
    """The indices of the points sent: all, or beyond ``max_points`` a downsample keeping the most different."""
    total = len(outlier)
    keep = np.arange(total)
    if total > max_points:
        top = np.argsort(-outlier)[: min(1000, max_points // 10)]
        keep = downsample(xy, max_points - len(top), keep=top)
    return keep


def _verdict_codes(space: EmbeddingSpace, ids: np.ndarray) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Each point's code in the verdict legend, and that legend's (name, colour) pairs."""
    verdict_of, verdict_classes = _verdicts(space.plot_type_id, ids.tolist())
    verdict_names = {name: i + 1 for i, (name, _c) in enumerate(verdict_classes)}
    class_names = {c.pk: c.name for c in LabelClass.objects.filter(pk__in=set(verdict_of.values()))}
    codes = np.fromiter(
        (verdict_names.get(class_names.get(verdict_of.get(i)), 0) for i in ids.tolist()),
        dtype=np.uint16,
        count=len(ids),
    )
    return codes, verdict_classes


def _anomaly_codes(space: EmbeddingSpace, ids: np.ndarray) -> np.ndarray:
    """Each point's code in the anomaly legend: 0 not scored, 1 normal, 2 anomalous (active autoencoder)."""
    ae = anomalies.active(space.plot_type_id)
    anomalous = {}
    if ae is not None:
        anomalous = dict(AnomalyScore.objects.filter(model=ae).values_list("plot_id", "anomalous"))
    return np.fromiter(
        ((2 if anomalous[i] else 1) if i in anomalous else 0 for i in ids.tolist()), dtype=np.uint16, count=len(ids)
    )


def _legends(classes, verdict_classes, cluster_ids, periods, campaigns) -> dict:
    """The header's legend per colouring: entry 0 is "none", then one per code."""
    return {
        "label": _legend([(c.name, c.colour) for c in classes], "unlabeled"),
        "verdict": _legend(verdict_classes, "no verdict"),
        "anomaly": _legend([("normal", "#2e9e4f"), ("anomalous", "#d62828")], "not scored"),
        "cluster": _legend(
            [(f"cluster {c + 1}", PALETTE[i % len(PALETTE)]) for i, c in enumerate(cluster_ids)], "noise"
        ),
        "run_period": _legend([(p.name, PALETTE[i % len(PALETTE)]) for i, p in enumerate(periods)], "none"),
        "campaign": _legend([(c.name, PALETTE[i % len(PALETTE)]) for i, c in enumerate(campaigns)], "none"),
    }


def _bounds(xy: np.ndarray) -> list[float]:
    """[x min, x max, y min, y max] of all the points (a unit square when there are none)."""
    if not len(xy):
        return [0.0, 1.0, 0.0, 1.0]
    return [float(xy[:, 0].min()), float(xy[:, 0].max()), float(xy[:, 1].min()), float(xy[:, 1].max())]


def _pack(header: dict, columns) -> bytes:
    """Magic, header length, the JSON header and the columns, little-endian, each padded to 4 bytes."""
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 4)
    parts = [MAGIC, struct.pack("<I", len(head)), head]
    for column in columns:
        data = np.ascontiguousarray(column).astype(column.dtype.newbyteorder("<"), copy=False).tobytes()
        parts.append(data + b"\0" * (-len(data) % 4))
    return b"".join(parts)


def payload(space: EmbeddingSpace, max_points: int = MAX_POINTS) -> bytes:
    """The binary payload of ``space`` (see the module docstring)."""
    columns = _columns(space)
    total = len(columns[0])
    ids = np.asarray(columns[0], dtype=np.uint32)
    xy = np.column_stack([np.asarray(columns[1], dtype=np.float32), np.asarray(columns[2], dtype=np.float32)])
    outlier = np.asarray(columns[4], dtype=np.float32)
    keep = _kept(xy, outlier, max_points)

    exp_id = space.plot_type.experiment_id
    classes = list(LabelClass.objects.filter(experiment_id=exp_id).order_by("order", "name"))
    campaigns = list(Campaign.objects.filter(experiment_id=exp_id).order_by("name"))
    periods = list(RunPeriod.objects.filter(experiment_id=exp_id).order_by("name"))
    cluster_ids = sorted({c for c in columns[3] if c >= 0})
    verdict_codes, verdict_classes = _verdict_codes(space, ids)
    header = {
        "n": int(len(keep)),
        "total": total,
        "downsampled": bool(len(keep) < total),
        "space": space.pk,
        "plot_type": space.plot_type_id,
        "legends": _legends(classes, verdict_classes, cluster_ids, periods, campaigns),
        "bounds": _bounds(xy),
    }
    return _pack(
        header,
        (
            ids[keep],
            xy[keep, 0],
            xy[keep, 1],
            np.asarray(columns[5], dtype=np.uint32)[keep],
            _codes(columns[6], [c.pk for c in classes])[keep],
            _codes(columns[3], cluster_ids)[keep],
            _codes(columns[7], [c.pk for c in campaigns])[keep],
            _codes(columns[8], [p.pk for p in periods])[keep],
            verdict_codes[keep],
            _anomaly_codes(space, ids)[keep],
            np.clip(outlier[keep] * 255, 0, 255).astype(np.uint8),
        ),
    )


def read_header(data: bytes) -> dict:
    """The JSON header of a payload (tests, scripts)."""
    if data[:4] != MAGIC:
        raise ValueError("not a map payload")
    (length,) = struct.unpack("<I", data[4:8])
    return json.loads(data[8 : 8 + length])
