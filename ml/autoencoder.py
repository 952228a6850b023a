"""A small convolutional autoencoder per plot type, trained on known-normal plots only.

A plot the autoencoder cannot rebuild well is unlike the normal plots it learned from (plots
labeled Good, or of a reference campaign; never the campaign under test): the reconstruction
error is the anomaly score, and its map is a map of where the plot differs (shown over the plot
like a GradCAM heat map). The bottleneck doubles as an embedding for the maps in ``ml.maps``.

The score looks at structure, not ink. A small autoencoder blurs: thin lines and speckled,
low-statistics maps come back smeared, and plain per-pixel errors grow with the amount of fine
ink whatever the model learned. The error map is therefore the *signed* residual
(reconstruction - image) averaged over a small window, squared: blur and speckle cancel within
the window (the ink is only moved about), while data that is missing or added (a dead region, a
missing plane, a moved peak) does not. The threshold is a quantile of the scores of normal plots
the model was not trained on, when there are enough of them.

Images are (N, H, W, C) float32 in [0, 1] (``ml.embeddings.load_images``); H and W must divide
by 2 ** len(filters). Keras is imported inside the functions, so importing this module is free.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

ARCHITECTURE = "conv-autoencoder"
BOTTLENECK = "bottleneck"
# The score is the mean of the worst TOP_SHARE of the error map: a dead region covering 2 % of
# the image hardly moves the mean over all pixels, but dominates the worst few percent.
TOP_SHARE = 0.02
# The residual is averaged over a window this share of the image's smaller side (at least 3 px).
WINDOW_SHARE = 0.1
# The threshold: this quantile of the normal plots' scores.
QUANTILE = 0.99


@dataclass
class TrainedAutoencoder:
    """A trained autoencoder, its training curve and the threshold learned from normal plots."""

    model: object
    threshold: float
    threshold_method: str
    train_scores: np.ndarray
    history: dict = field(default_factory=dict)
    calibration_scores: np.ndarray = field(default_factory=lambda: np.zeros(0))


def build(input_shape=(48, 64, 1), latent_dim: int = 32, filters=(16, 32, 64)):
    """An uncompiled autoencoder: strided convolutions down to a dense bottleneck, transposed ones back up."""
    import keras
    from keras import layers

    height, width, channels = (int(v) for v in input_shape)
    step = 2 ** len(filters)
    if height % step or width % step:
        raise ValueError(f"input {height}x{width} must divide by {step} for {len(filters)} down-sampling steps")
    inputs = keras.Input(shape=(height, width, channels), name="image")
    x = inputs
    for i, n in enumerate(filters, start=1):
        x = layers.Conv2D(n, 3, strides=2, padding="same", activation="relu", name=f"enc{i}")(x)
    inner = (height // step, width // step, int(filters[-1]))
    x = layers.Flatten(name="flatten")(x)
    z = layers.Dense(latent_dim, name=BOTTLENECK)(x)
    x = layers.Dense(math.prod(inner), activation="relu", name="expand")(z)
    x = layers.Reshape(inner, name="unflatten")(x)
    for i, n in enumerate(reversed(filters), start=1):
        x = layers.Conv2DTranspose(n, 3, strides=2, padding="same", activation="relu", name=f"dec{i}")(x)
    outputs = layers.Conv2D(channels, 3, padding="same", activation="sigmoid", name="reconstruction")(x)
    return keras.Model(inputs, outputs, name="autoencoder")


def train(
    images: np.ndarray,
    *,
    latent_dim: int = 32,
    filters=(16, 32, 64),
    epochs: int = 30,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    patience: int = 5,
    seed: int = 0,
    calibration: np.ndarray | None = None,
    quantile: float = QUANTILE,
    progress: Callable[[int, int, float], None] | None = None,
) -> TrainedAutoencoder:
    """Train on ``images`` (normal plots); stop early on the validation loss; learn the anomaly threshold.

    ``progress(epoch, epochs, loss)`` is called after each epoch. The threshold is the
    ``quantile`` of the scores of ``calibration`` (normal plots held out of training), or of the
    training images' own scores when no calibration images are given.
    """
    import keras

    if len(images) < 2:
        raise ValueError(f"need at least 2 images to train an autoencoder, got {len(images)}")
    if not 0.5 <= quantile <= 1.0:
        raise ValueError(f"the threshold quantile must be within [0.5, 1], got {quantile}")
    keras.utils.set_random_seed(seed)
    model = build(images.shape[1:], latent_dim, filters)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)]
    if progress is not None:
        callbacks.append(
            keras.callbacks.LambdaCallback(
                on_epoch_end=lambda epoch, logs: progress(epoch + 1, epochs, float(logs.get("loss", 0.0)))
            )
        )
    validation = 0.15 if len(images) >= 10 else 0.0
    fit = model.fit(
        images,
        images,
        epochs=epochs,
        batch_size=batch_size,
        validation_split=validation,
        shuffle=True,
        verbose=0,
        callbacks=callbacks if validation else callbacks[1:],
    )
    scores = reconstruction_errors(model, images)
    held_out = calibration is not None and len(calibration) > 0
    calibration_scores = reconstruction_errors(model, calibration) if held_out else np.zeros(0)
    threshold, method = learn_threshold(calibration_scores if held_out else scores, quantile)
    method += f" of {len(calibration_scores)} held-out" if held_out else f" of {len(scores)} training (in-sample)"
    return TrainedAutoencoder(
        model,
        threshold,
        method,
        scores,
        {k: [float(v) for v in vs] for k, vs in fit.history.items()},
        calibration_scores,
    )


def learn_threshold(scores: np.ndarray, quantile: float = QUANTILE) -> tuple[float, str]:
    """The ``quantile`` of normal plots' scores (linear interpolation), and how it was set ("q0.99")."""
    scores = np.asarray(scores, dtype=float)
    return float(np.quantile(scores, quantile)) if scores.size else 0.0, f"q{quantile:g}"


def reconstruct(model, images: np.ndarray, batch_size: int = 128) -> np.ndarray:
    return np.asarray(model.predict(images, batch_size=batch_size, verbose=0))


def window(height: int, width: int) -> int:
    """Side of the averaging window for an image of this size (``WINDOW_SHARE``, at least 3 pixels)."""
    return max(3, int(round(WINDOW_SHARE * min(height, width))))


def error_maps(model, images: np.ndarray, batch_size: int = 128) -> np.ndarray:
    """Per-pixel error, (N, H, W): the signed residual averaged over a small window, squared.

    Averaging first lets blur and speckle cancel (the ink is only moved about) while missing or
    added data does not; see the module docstring.
    """
    from scipy.ndimage import uniform_filter

    residual = (reconstruct(model, images, batch_size) - images).mean(axis=-1)
    if residual.size == 0:
        return residual
    k = window(residual.shape[1], residual.shape[2])
    return uniform_filter(residual, size=(1, k, k), mode="nearest") ** 2


def scores_from_maps(maps: np.ndarray, top_share: float = TOP_SHARE) -> np.ndarray:
    """The anomaly score of each error map: the mean of its worst ``top_share`` of pixels."""
    flat = maps.reshape(len(maps), -1)
    k = max(1, int(round(flat.shape[1] * top_share)))
    return np.partition(flat, flat.shape[1] - k, axis=1)[:, -k:].mean(axis=1)


def reconstruction_errors(model, images: np.ndarray, batch_size: int = 128) -> np.ndarray:
    """Anomaly score per image (see ``scores_from_maps``)."""
    out = []
    for start in range(0, len(images), 1024):
        out.append(scores_from_maps(error_maps(model, images[start : start + 1024], batch_size)))
    return np.concatenate(out) if out else np.zeros(0)


class AutoencoderEncoder:
    """The bottleneck of a trained autoencoder as an ``ml.embeddings`` encoder."""

    kind = "autoencoder"

    def __init__(self, model):
        import keras

        self.model = keras.Model(model.inputs, model.get_layer(BOTTLENECK).output, name="encoder")

    @property
    def dim(self) -> int:
        return int(self.model.output_shape[-1])

    def encode(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        return np.asarray(self.model.predict(images, batch_size=batch_size, verbose=0), dtype=np.float32)


def error_map_png(error_map: np.ndarray, scale: float | None = None, size: tuple[int, int] | None = None) -> bytes:
    """The error map as a transparent heat-map PNG to lay over the plot (``size`` = plot width, height).

    ``scale`` is the error shown at full heat (default: the map's own 99.5th percentile).
    """
    from ml.gradcam import heatmap_png

    top = scale or float(np.quantile(error_map, 0.995)) or 1.0
    return heatmap_png(np.clip(np.asarray(error_map) / top, 0.0, 1.0), size)


def save(trained: TrainedAutoencoder, path, fingerprint: str = "", extra: dict | None = None):
    """Write the model with its sidecar (threshold and training summary in ``metrics``)."""
    from ml import model_files

    model = trained.model
    info = model_files.ModelInfo(
        label_map=[f"channel{i}" for i in range(int(model.output_shape[-1]))],
        input_shape=list(model.input_shape[1:]),
        architecture=ARCHITECTURE,
        hyper_parameters=extra or {},
        fingerprint=fingerprint,
        metrics={
            "threshold": trained.threshold,
            "threshold_method": trained.threshold_method,
            "train_score_mean": float(np.mean(trained.train_scores)),
            "train_score_max": float(np.max(trained.train_scores)),
            "calibration_scores": len(trained.calibration_scores),
            "history": trained.history,
        },
    )
    return model_files.save(model, path, info)


def load(path):
    """``(model, info)`` from a file written by ``save``."""
    from ml import model_files

    return model_files.load(path)
