"""Custom Keras layers, registered so saved models that use them load back.

Importing this module imports Keras: only the builders and the loader import it, never
at start-up.
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="hydra")
class PositionEmbedding(keras.layers.Layer):
    """Add a learned embedding per token position to a (batch, tokens, width) tensor."""

    def build(self, input_shape):
        self.positions = self.add_weight(
            name="positions",
            shape=(1, int(input_shape[1]), int(input_shape[2])),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
        )

    def call(self, inputs):
        return inputs + self.positions


@keras.saving.register_keras_serializable(package="hydra")
class ReferenceDifference(keras.layers.Layer):
    """Append the difference between an image and the nearest of a bank of reference images.

    The bank holds, per plot type, the mean image of its usual (Good) plots, set once from the
    training data and saved with the model. Each input picks the reference closest to it (a
    plot of one type sits far from every other type's mean), so inference needs nothing but
    the image. A detector expert reads a plot against the reference in the same way. A ring
    missing at the edge of the beam hole only widens the hole, and is easy to miss alone. The
    difference shows it as a bright ring, whatever was seen in training.
    """

    def __init__(self, count: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.count = int(count)

    def build(self, input_shape):
        self.references = self.add_weight(
            name="references",
            shape=(self.count, *(int(v) for v in input_shape[1:])),
            initializer="zeros",
            trainable=False,
        )

    def call(self, inputs):
        refs = keras.ops.cast(self.references, inputs.dtype)
        # Squared distance to every reference: |x|^2 - 2 x.r + |r|^2, without (batch, K, H, W, C) in memory.
        flat = keras.ops.reshape(inputs, (keras.ops.shape(inputs)[0], -1))
        flat_refs = keras.ops.reshape(refs, (self.count, -1))
        distance = -2.0 * keras.ops.matmul(flat, keras.ops.transpose(flat_refs))
        distance = distance + keras.ops.sum(flat_refs * flat_refs, axis=1)[None, :]
        nearest = keras.ops.take(refs, keras.ops.argmin(distance, axis=1), axis=0)
        return keras.ops.concatenate([inputs, inputs - nearest], axis=-1)

    def compute_output_shape(self, input_shape):
        channels = None if input_shape[-1] is None else 2 * input_shape[-1]
        return (*input_shape[:-1], channels)

    def get_config(self):
        return {**super().get_config(), "count": self.count}
