"""A Siamese network that scores how similar two plots of one plot type are (1 = alike, 0 = not).

One encoder (shared weights) embeds both plots; a small head reads |a - b| and says whether they
belong together. It learns from pairs: two plots of the same class are alike, a Good and a Bad plot
are not, and a plot paired with its plot type's reference is alike exactly when it is as good as
the reference. That is the machine's version of "compare to the reference plot".

The two images travel as one (H, W, 2) "pair image" (left in channel 0, right in channel 1), so the
model has one input and saves like any other with ``ml.model_files``. Keras is imported lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

ARCHITECTURE = "siamese"
_registered: dict = {}


def _take_channel_layer():
    """The registered Keras layer that picks one channel of the pair image."""
    if "TakeChannel" in _registered:
        return _registered["TakeChannel"]
    import keras

    @keras.saving.register_keras_serializable(package="hydra_validation")
    class TakeChannel(keras.layers.Layer):
        def __init__(self, index: int = 0, **kwargs):
            super().__init__(**kwargs)
            self.index = int(index)

        def call(self, inputs):
            return inputs[..., self.index : self.index + 1]

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1], 1)

        def get_config(self):
            return {**super().get_config(), "index": self.index}

    _registered["TakeChannel"] = TakeChannel
    return TakeChannel


@dataclass
class TrainedSiamese:
    model: object
    metrics: dict = field(default_factory=dict)
    history: dict = field(default_factory=dict)


def build(input_shape=(48, 64, 1), embed_dim: int = 32, filters=(16, 32, 64)):
    """An uncompiled Siamese model on (H, W, 2) pair images with a sigmoid similarity output."""
    import keras
    from keras import layers

    height, width = int(input_shape[0]), int(input_shape[1])
    take = _take_channel_layer()
    single = keras.Input(shape=(height, width, 1), name="plot")
    x = single
    for i, n in enumerate(filters, start=1):
        x = layers.Conv2D(n, 3, strides=2, padding="same", activation="relu", name=f"enc{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    embedding = layers.Dense(embed_dim, name="embedding")(x)
    encoder = keras.Model(single, embedding, name="encoder")

    pair = keras.Input(shape=(height, width, 2), name="pair")
    left = encoder(take(0, name="left")(pair))
    right = encoder(take(1, name="right")(pair))
    # |a - b| from stock layers: max(a - b, b - a).
    gap = layers.Maximum(name="abs_difference")(
        [layers.Subtract(name="a_minus_b")([left, right]), layers.Subtract(name="b_minus_a")([right, left])]
    )
    hidden = layers.Dense(16, activation="relu", name="head")(gap)
    out = layers.Dense(1, activation="sigmoid", name="similarity")(hidden)
    return keras.Model(pair, out, name="siamese")


def pair_images(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Stack (N, H, W, 1) left and right images into (N, H, W, 2) pair images."""
    return np.concatenate([left[..., :1], right[..., :1]], axis=-1).astype(np.float32, copy=False)


def make_pairs(
    labels: Sequence, n_pairs: int = 2000, seed: int = 0, reference: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Training pairs ``(index pairs (M, 2), targets (M,))``: half alike (same label), half not.

    With ``reference`` (an index), a quarter of the pairs put that plot against others, alike
    when they share its label. Both orders of every pair are included, so the model is symmetric.
    """
    rng = np.random.default_rng(seed)
    labels = np.asarray(list(labels), dtype=object)
    classes = sorted(set(labels.tolist()), key=str)
    by_class = {c: np.flatnonzero(labels == c) for c in classes}
    if len(classes) < 2:
        raise ValueError("a Siamese model needs plots of at least two classes")
    pairs, targets = [], []
    half = max(1, n_pairs // 4)
    for _ in range(half):
        c = classes[rng.integers(len(classes))]
        if len(by_class[c]) >= 2:
            a, b = rng.choice(by_class[c], 2, replace=False)
            pairs.append((a, b))
            targets.append(1.0)
        c1, c2 = rng.choice(len(classes), 2, replace=False)
        pairs.append((rng.choice(by_class[classes[c1]]), rng.choice(by_class[classes[c2]])))
        targets.append(0.0)
    if reference is not None:
        for _ in range(half // 2):
            other = int(rng.integers(len(labels)))
            pairs.append((reference, other))
            targets.append(1.0 if labels[other] == labels[reference] else 0.0)
    pairs_arr = np.array(pairs, dtype=np.int64)
    both = np.concatenate([pairs_arr, pairs_arr[:, ::-1]])
    return both, np.concatenate([targets, targets]).astype(np.float32)


def train(
    images: np.ndarray,
    labels: Sequence,
    *,
    reference: int | None = None,
    n_pairs: int = 2000,
    embed_dim: int = 32,
    filters=(16, 32, 64),
    epochs: int = 15,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    patience: int = 4,
    seed: int = 0,
    progress: Callable[[int, int, float], None] | None = None,
) -> TrainedSiamese:
    """Train on pairs drawn from ``images`` and their ``labels``; report alike/unlike mean scores on held-out pairs."""
    import keras

    keras.utils.set_random_seed(seed)
    index, targets = make_pairs(labels, n_pairs, seed, reference)
    order = np.random.default_rng(seed).permutation(len(index))
    index, targets = index[order], targets[order]
    split = int(len(index) * 0.85)
    model = build(images.shape[1:], embed_dim, filters)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy", metrics=["accuracy"])
    x = pair_images(images[index[:, 0]], images[index[:, 1]])
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)]
    if progress is not None:
        callbacks.append(
            keras.callbacks.LambdaCallback(
                on_epoch_end=lambda epoch, logs: progress(epoch + 1, epochs, float(logs.get("loss", 0.0)))
            )
        )
    fit = model.fit(
        x[:split],
        targets[:split],
        validation_data=(x[split:], targets[split:]),
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
    )
    held = np.asarray(model.predict(x[split:], batch_size=256, verbose=0)).ravel()
    alike, unlike = held[targets[split:] == 1], held[targets[split:] == 0]
    metrics = {
        "pairs": int(len(index)),
        "held_out_pairs": int(len(held)),
        "alike_mean": float(alike.mean()) if alike.size else None,
        "unlike_mean": float(unlike.mean()) if unlike.size else None,
        "accuracy": float(((held >= 0.5) == (targets[split:] == 1)).mean()) if held.size else None,
    }
    return TrainedSiamese(model, metrics, {k: [float(v) for v in vs] for k, vs in fit.history.items()})


def similarity(model, left: np.ndarray, right: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Similarity in [0, 1] of each (left[i], right[i]); ``right`` may be one image for all."""
    if len(right) == 1 and len(left) > 1:
        right = np.repeat(right, len(left), axis=0)
    if len(left) == 0:
        return np.zeros(0, dtype=np.float32)
    return np.asarray(model.predict(pair_images(left, right), batch_size=batch_size, verbose=0)).ravel()


def save(trained: TrainedSiamese, path, fingerprint: str = "", extra: dict | None = None):
    from ml import model_files

    model = trained.model
    info = model_files.ModelInfo(
        label_map=["similarity"],
        input_shape=list(model.input_shape[1:]),
        architecture=ARCHITECTURE,
        hyper_parameters=extra or {},
        fingerprint=fingerprint,
        metrics={**trained.metrics, "history": trained.history},
    )
    return model_files.save(model, path, info)


def load(path):
    """``(model, info)``; registers the custom layer first so Keras can rebuild the model."""
    from ml import model_files

    _take_channel_layer()
    return model_files.load(path)
