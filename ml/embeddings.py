"""Embeddings: a short float32 vector per plot image, and how to store them.

Two encoders share one interface (``encode(images) -> (N, D) float32``):

- ``PixelEncoder``: principal components of the downsampled grey image. No training beyond an
  SVD, no TensorFlow: the baseline that exists before any model.
- ``ml.autoencoder.AutoencoderEncoder``: the bottleneck of a plot type's convolutional autoencoder.

Images are (N, H, W, 1) float32 arrays in [0, 1] as made by ``load_images``. Vectors are stored
as little-endian float32 bytes (``to_blob``/``from_blob``), 4 bytes a dimension.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

# (height, width): keeps the 4:3 shape of monitoring plots and divides by 8 for the autoencoder.
DEFAULT_SIZE: tuple[int, int] = (48, 64)
DTYPE = np.dtype("<f4")


def to_blob(vector: np.ndarray) -> bytes:
    """A vector as little-endian float32 bytes."""
    return np.ascontiguousarray(vector, dtype=DTYPE).tobytes()


def from_blob(blob: bytes | memoryview) -> np.ndarray:
    """The float32 vector stored by ``to_blob``."""
    return np.frombuffer(bytes(blob), dtype=DTYPE)


def stack_blobs(blobs: Iterable[bytes | memoryview]) -> np.ndarray:
    """An (N, D) float32 matrix from N blobs of one dimension."""
    rows = [from_blob(b) for b in blobs]
    if not rows:
        return np.zeros((0, 0), dtype=np.float32)
    return np.vstack(rows).astype(np.float32, copy=False)


def load_image(source, size: tuple[int, int] = DEFAULT_SIZE) -> np.ndarray:
    """One image (path or bytes) as an (H, W, 1) float32 grey array in [0, 1], area-resampled to ``size``."""
    handle = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    with Image.open(handle) as img:
        grey = img.convert("L").resize((size[1], size[0]), Image.BOX)
    return (np.asarray(grey, dtype=np.float32) / 255.0)[..., None]


def load_images(sources: Sequence, size: tuple[int, int] = DEFAULT_SIZE, workers: int = 4) -> np.ndarray:
    """Many images as one (N, H, W, 1) float32 array; decoding runs in threads (Pillow releases the GIL)."""
    if not sources:
        return np.zeros((0, size[0], size[1], 1), dtype=np.float32)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return np.stack(list(pool.map(lambda s: load_image(s, size), sources, chunksize=32)))


class PixelEncoder:
    """Principal components of the grey pixels: fit once per plot type, then encode any image alike."""

    kind = "pixels"

    def __init__(self, mean: np.ndarray, components: np.ndarray):
        self.mean = np.asarray(mean, dtype=np.float32)
        self.components = np.asarray(components, dtype=np.float32)

    @property
    def dim(self) -> int:
        return int(self.components.shape[0])

    @classmethod
    def fit(cls, images: np.ndarray, dim: int = 32, max_samples: int = 5000, seed: int = 0) -> PixelEncoder:
        """Fit on (a sample of) ``images``; ``dim`` is capped by the number of images."""
        flat = images.reshape(len(images), -1).astype(np.float32)
        if len(flat) > max_samples:
            flat = flat[np.random.default_rng(seed).choice(len(flat), max_samples, replace=False)]
        mean = flat.mean(axis=0)
        _, _, vt = np.linalg.svd(flat - mean, full_matrices=False)
        dim = max(1, min(dim, vt.shape[0]))
        return cls(mean, vt[:dim])

    def encode(self, images: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        flat = images.reshape(len(images), -1)
        out = np.empty((len(images), self.dim), dtype=np.float32)
        for start in range(0, len(images), batch_size):
            out[start : start + batch_size] = (flat[start : start + batch_size] - self.mean) @ self.components.T
        return out

    def save(self, path) -> None:
        """Write the encoder as a .npz file (atomically: temporary file, then rename)."""
        import os
        import tempfile
        from pathlib import Path

        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".npz")
        os.close(fd)
        try:
            np.savez(tmp, mean=self.mean, components=self.components)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path) -> PixelEncoder:
        with np.load(path) as data:
            return cls(data["mean"], data["components"])
