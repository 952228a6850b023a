"""GradCAM: where in the image the network looked to pick a class.

Gradients of the class score with respect to the feature maps of the last convolution
block weight those maps; their positive sum, scaled to [0, 1] and resized to the input,
is the heat map.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np


def last_conv_layer(model, preferred: str | None = None) -> str:
    """The layer GradCAM looks at: ``preferred`` when the model has it, else the last 4-D output."""
    names = {layer.name for layer in model.layers}
    if preferred and preferred in names:
        return preferred
    for layer in reversed(model.layers):
        shape = getattr(layer, "output", None)
        shape = getattr(shape, "shape", None)
        if shape is not None and len(shape) == 4 and "input" not in layer.__class__.__name__.lower():
            return layer.name
    raise ValueError(f"model {model.name} has no convolution block for GradCAM")


class GradCam:
    """GradCAM for one model; build once, call for batches."""

    def __init__(self, model, layer_name: str | None = None):
        import keras

        self.layer_name = last_conv_layer(model, layer_name)
        layer = model.get_layer(self.layer_name)
        self.grad_model = keras.Model(model.inputs, [layer.output, model.output])

    def __call__(self, images: np.ndarray, class_indices: Sequence[int] | None = None) -> np.ndarray:
        """Heat maps (N, H, W) in [0, 1], the size of the input images."""
        import tensorflow as tf

        images = tf.convert_to_tensor(np.asarray(images, dtype="float32"))
        with tf.GradientTape() as tape:
            features, predictions = self.grad_model(images, training=False)
            if class_indices is None:
                indices = tf.argmax(predictions, axis=1, output_type=tf.int32)
            else:
                indices = tf.convert_to_tensor(np.asarray(class_indices, dtype="int32"))
            chosen = tf.gather(predictions, indices, axis=1, batch_dims=1)
        grads = tape.gradient(chosen, features)
        weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
        cam = tf.nn.relu(tf.reduce_sum(weights * features, axis=-1))
        peak = tf.reduce_max(cam, axis=(1, 2), keepdims=True)
        cam = tf.math.divide_no_nan(cam, peak)
        cam = tf.image.resize(cam[..., None], tuple(images.shape[1:3]), method="bilinear")[..., 0]
        return np.clip(cam.numpy(), 0.0, 1.0)


def gradcam(model, images: np.ndarray, class_indices: Sequence[int] | None = None, layer_name: str | None = None):
    """Heat maps for ``images`` (N, H, W) in [0, 1]; the top class of each image unless given."""
    return GradCam(model, layer_name)(images, class_indices)


def heatmap_png(heatmap: np.ndarray, size: tuple[int, int] | None = None) -> bytes:
    """A heat map as an RGBA PNG (jet-like colours, transparent where cold) to lay over the plot.

    ``size`` is (width, height) of the plot image, so the overlay lines up pixel for pixel.
    """
    from matplotlib import colormaps
    from PIL import Image

    heat = np.clip(np.asarray(heatmap, dtype=float), 0, 1)
    rgba = colormaps["jet"](heat)
    rgba[..., 3] = np.clip(heat * 1.4, 0, 1) * 0.85
    image = Image.fromarray((rgba * 255).astype("uint8"), "RGBA")
    if size and image.size != tuple(size):
        image = image.resize(tuple(size), Image.BILINEAR)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=3)
    return out.getvalue()
