"""Plot images as arrays for the models and the comparisons, read from MEDIA_ROOT."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from apps.validation import storage
from ml import compare
from ml.embeddings import DEFAULT_SIZE, load_image, load_images

log = logging.getLogger(__name__)
CHUNK = 2000


def _safe_load(path: str, size: tuple[int, int]) -> np.ndarray:
    try:
        return load_image(path, size)
    except OSError as exc:
        # A missing or unreadable file must not sink a job over thousands of plots.
        log.warning("cannot read %s: %s", path, exc)
        return np.zeros((size[0], size[1], 1), dtype=np.float32)


def model_inputs(plots: Sequence, size: tuple[int, int] = DEFAULT_SIZE) -> np.ndarray:
    """(N, H, W, 1) grey arrays in [0, 1] for the autoencoder, Siamese and pixel encoders."""
    paths = [storage.plot_image_path(p) for p in plots]
    try:
        return load_images(paths, size)
    except OSError:
        return np.stack([_safe_load(p, size) for p in paths]) if paths else load_images([], size)


def chunks(items: Sequence, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


def prepared(plot) -> compare.PreparedImage | None:
    """A plot's image ready for ``ml.compare`` (None when the file cannot be read)."""
    try:
        return compare.prepare(compare.load_image(storage.plot_image_path(plot)))
    except OSError as exc:
        log.warning("cannot read plot %s: %s", plot.pk, exc)
        return None
