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
