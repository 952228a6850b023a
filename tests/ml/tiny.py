"""Tiny images and a tiny trained model for fast ml tests: 32x32, two filters deep, seconds to train."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from ml.data import Example
from ml.training import HyperParameters

SHAPE = (32, 32, 1)


def png(path: Path, bad: bool, seed: int) -> str:
    """A dark noisy square; Bad ones carry a bright block somewhere."""
    rng = np.random.default_rng(seed)
    pixels = (rng.random((32, 32)) * 60).astype("uint8")
    if bad:
        y, x = rng.integers(2, 22, size=2)
        pixels[y : y + 8, x : x + 8] = 255
    out = io.BytesIO()
    Image.fromarray(pixels, "L").save(out, "PNG")
    path.write_bytes(out.getvalue())
    return str(path)


def examples(root: Path, runs: int = 8, per_run: int = 8, test_runs: int = 2) -> list[Example]:
    """Good and Bad plots over ``runs`` runs; the last ``test_runs`` runs have training weight 0."""
    root.mkdir(parents=True, exist_ok=True)
    out = []
    for run in range(runs):
        for i in range(per_run):
            bad = i % 2 == 1
            seed = run * 100 + i
            path = png(root / f"r{run}_{i}.png", bad, seed)
            weight = 0 if run >= runs - test_runs else 1
            out.append(Example(path, "Bad" if bad else "Good", 1000 + run, weight, key=seed))
    return out


def hyper_parameters(**kw) -> HyperParameters:
    values = dict(
        input_shape=SHAPE,
        epochs=4,
        batch_size=8,
        learning_rate=0.01,
        patience=10,
        validation_fraction=0.2,
        options={"filters": (4, 8)},
    )
    values.update(kw)
    return HyperParameters(**values)


def save(result, path):
    """Save a tiny TrainingResult with its sidecar; return the ModelInfo written."""
    from ml import model_files

    info = model_files.ModelInfo(
        label_map=result.classes,
        input_shape=list(SHAPE),
        architecture="compact",
        hyper_parameters=result.hyper_parameters.as_dict(),
        fingerprint=result.fingerprint,
    )
    return model_files.save(result.model, path, info)
