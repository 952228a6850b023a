"""Network architectures by name: a new one is one function decorated with ``@architecture``.

Every builder takes ``(input_shape, n_classes, weights=None, **options)`` and returns an
uncompiled Keras model whose last layer is a softmax over the classes. Nothing is ever
downloaded: ``weights`` is None (random initialisation) or the path of a local weights file.
Keras is imported inside the builders, so importing this module costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Architecture:
    """A registered architecture: its builder, default input shape and what GradCAM should look at."""

    name: str
    build: Callable
    input_shape: tuple[int, int, int]
    description: str
    gradcam_layer: str | None = None


ARCHITECTURES: dict[str, Architecture] = {}
# The layer holding reference images, in architectures that compare with references.
REFERENCE_LAYER = "reference_difference"


def architecture(name: str, *, input_shape: tuple[int, int, int], description: str, gradcam_layer: str | None = None):
    """Register a builder under ``name`` with its default ``input_shape`` (height, width, channels)."""

    def register(build: Callable) -> Callable:
        ARCHITECTURES[name] = Architecture(name, build, tuple(input_shape), description, gradcam_layer)
        return build

    return register


def get(name: str) -> Architecture:
    """The architecture called ``name``; a ValueError lists the known ones."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; known: {', '.join(sorted(ARCHITECTURES))}") from None


def build_model(name: str, input_shape=None, n_classes: int = 2, weights: str | None = None, **options):
    """Build architecture ``name`` for ``n_classes`` classes (``input_shape`` defaults to its own)."""
    arch = get(name)
    shape = tuple(int(v) for v in (input_shape or arch.input_shape))
    if len(shape) != 3 or shape[2] not in (1, 3):
        raise ValueError(f"input_shape must be (height, width, 1 or 3), got {shape}")
    if n_classes < 2:
        raise ValueError(f"a classifier needs at least 2 classes, got {n_classes}")
    return arch.build(shape, n_classes, weights=weights, **options)


def _head(x, n_classes: int, dropout: float):
    import keras

    if dropout:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    return keras.layers.Dense(n_classes, activation="softmax", name="predictions")(x)


@architecture(
    "compact",
    input_shape=(120, 160, 3),
    description="Our small CNN: four conv blocks, average and max pooling. Fast on CPU, good on plots.",
    gradcam_layer="block4_conv",
)
def compact(
    input_shape,
    n_classes,
    weights=None,
    *,
    filters=(16, 32, 48, 64),
    stem_stride: int = 1,
    dropout: float = 0.3,
    references: int = 0,
):
    """Conv-BN-ReLU blocks with max pooling; the head sees both average and max pooled features.

    Max pooling keeps a single dead or hot cell visible to the head, which average pooling over
    a whole detector map would wash out. ``stem_stride`` 2 lets the first (5x5) convolution read
    a twice larger image for the cost of the smaller one. ``references`` > 0 compares each image
    with the nearest of that many reference images (see ``ml.layers.ReferenceDifference``);
    training fills them in.
    """
    import keras
    from keras import layers

    from ml.layers import ReferenceDifference

    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    if references:
        x = ReferenceDifference(references, name=REFERENCE_LAYER)(x)
    for i, n in enumerate(filters, start=1):
        last = i == len(filters)
        stem = i == 1 and stem_stride > 1
        x = layers.Conv2D(
            n,
            5 if stem else 3,
            strides=stem_stride if stem else 1,
            padding="same",
            use_bias=False,
            name=f"block{i}_conv",
        )(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"block{i}_bn")(x)
        x = layers.Activation("relu", name=f"block{i}_relu")(x)
        if not last:
            x = layers.MaxPooling2D(2, name=f"block{i}_pool")(x)
    pooled = layers.Concatenate(name="pooled")(
        [layers.GlobalAveragePooling2D(name="avg_pool")(x), layers.GlobalMaxPooling2D(name="max_pool")(x)]
    )
    model = keras.Model(inputs, _head(pooled, n_classes, dropout), name="compact")
    if weights:
        model.load_weights(weights)
    return model


def _application(factory, input_shape, n_classes, weights, dropout, name):
    import keras

    if weights and input_shape[2] != 3:
        raise ValueError(f"{name} with pretrained weights needs RGB input (3 channels), got {input_shape}")
    base = factory(include_top=False, weights=weights or None, input_shape=input_shape, pooling="avg")
    return keras.Model(base.input, _head(base.output, n_classes, dropout), name=name)


@architecture(
    "inception_v3",
    input_shape=(299, 299, 3),
    description="InceptionV3 from keras.applications (Hydra's production network); heavy on CPU.",
    gradcam_layer="mixed10",
)
def inception_v3(input_shape, n_classes, weights=None, *, dropout: float = 0.0):
    """InceptionV3 with a softmax head; ``weights`` may name a local no-top ImageNet weights file."""
    import keras

    return _application(keras.applications.InceptionV3, input_shape, n_classes, weights, dropout, "inception_v3")


@architecture(
    "vgg16",
    input_shape=(224, 224, 3),
    description="VGG16 from keras.applications.",
    gradcam_layer="block5_conv3",
)
def vgg16(input_shape, n_classes, weights=None, *, dropout: float = 0.0):
    """VGG16 with a softmax head; ``weights`` may name a local no-top ImageNet weights file."""
    import keras

    return _application(keras.applications.VGG16, input_shape, n_classes, weights, dropout, "vgg16")


@architecture(
    "vit",
    input_shape=(96, 128, 3),
    description="A small Vision Transformer: 16-pixel patches, 4 encoder blocks of width 64.",
    gradcam_layer="patch_embedding",
)
def vit(
    input_shape,
    n_classes,
    weights=None,
    *,
    patch: int = 16,
    width: int = 64,
    depth: int = 4,
    heads: int = 4,
    mlp: int = 128,
    dropout: float = 0.1,
):
    """Patch embedding by a strided convolution, learned position embeddings, pre-norm encoder blocks."""
    import keras
    from keras import layers

    from ml.layers import PositionEmbedding

    height, width_px = input_shape[0], input_shape[1]
    if height % patch or width_px % patch:
        raise ValueError(f"vit needs an input shape divisible by the patch size {patch}, got {input_shape}")
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Conv2D(width, patch, strides=patch, name="patch_embedding")(inputs)
    x = layers.Reshape(((height // patch) * (width_px // patch), width), name="tokens")(x)
    x = PositionEmbedding(name="position_embedding")(x)
    for i in range(depth):
        y = layers.LayerNormalization(epsilon=1e-6, name=f"encoder{i}_norm1")(x)
        y = layers.MultiHeadAttention(heads, width // heads, dropout=dropout, name=f"encoder{i}_attention")(y, y)
        x = layers.Add(name=f"encoder{i}_add1")([x, y])
        y = layers.LayerNormalization(epsilon=1e-6, name=f"encoder{i}_norm2")(x)
        y = layers.Dense(mlp, activation="gelu", name=f"encoder{i}_mlp1")(y)
        y = layers.Dense(width, name=f"encoder{i}_mlp2")(y)
        x = layers.Add(name=f"encoder{i}_add2")([x, y])
    x = layers.LayerNormalization(epsilon=1e-6, name="final_norm")(x)
    x = layers.GlobalAveragePooling1D(name="token_pool")(x)
    model = keras.Model(inputs, _head(x, n_classes, dropout), name="vit")
    if weights:
        model.load_weights(weights)
    return model
