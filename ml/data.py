"""Training sets and input pipelines.

The bookkeeping (which plots, which classes, which split, how balanced) is plain Python on
``Example`` records so it is cheap and testable; images are read by ``tf.data`` pipelines
(decode PNG, resize to the model's input, scale to [0, 1], batch, prefetch), and inference
uses the very same decode function as training.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

BALANCING = ("none", "undersample", "oversample", "class_weights")


@dataclass(frozen=True)
class Example:
    """One labeled image: where it is, its class name, its run and its training weight.

    ``weight`` 0 keeps the image for testing only; n > 0 repeats it n times in training.
    ``key`` identifies the image for fingerprints (a plot id, or a content hash). ``group``
    names images drawn alike (a plot type); models that compare with references keep one
    reference per group.
    """

    path: str
    label: str | None
    run: int
    weight: int = 1
    key: str | int = ""
    group: str = ""


@dataclass
class Split:
    """Train, validation and test examples; no run appears in two of them."""

    train: list[Example] = field(default_factory=list)
    validation: list[Example] = field(default_factory=list)
    test: list[Example] = field(default_factory=list)

    def runs(self, part: str) -> set[int]:
        return {e.run for e in getattr(self, part)}


def select_classes(
    examples: Iterable[Example], excluded: Iterable[str] = (), min_count: int = 2
) -> tuple[list[Example], list[str]]:
    """Keep labeled examples of trainable classes; return them and the sorted class names.

    Classes in ``excluded`` (like Ignore) are never trained on; classes with fewer than
    ``min_count`` examples are dropped because they can neither be learned nor validated.
    """
    skip = set(excluded)
    labeled = [e for e in examples if e.label and e.label not in skip]
    counts = Counter(e.label for e in labeled)
    classes = sorted(name for name, n in counts.items() if n >= min_count)
    keep = set(classes)
    return [e for e in labeled if e.label in keep], classes


def split_by_run(examples: Sequence[Example], validation: float = 0.2, test: float = 0.0, seed: int = 0) -> Split:
    """Split by run, so that no run is in two parts.

    Runs with any weight-0 example are test runs. When there are none and ``test`` > 0, that
    share of runs is held out for testing. Of the remaining runs, ``validation`` of them
    (at least one when there are two or more runs) go to validation.
    """
    by_run: dict[int, list[Example]] = {}
    for e in examples:
        by_run.setdefault(e.run, []).append(e)
    test_runs = {run for run, items in by_run.items() if any(e.weight == 0 for e in items)}
    rng = random.Random(seed)
    rest = sorted(set(by_run) - test_runs)
    rng.shuffle(rest)
    if not test_runs and test > 0 and len(rest) > 2:
        n = max(1, round(len(rest) * test))
        test_runs, rest = set(rest[:n]), rest[n:]
    n_val = round(len(rest) * validation)
    if validation > 0 and len(rest) >= 2:
        n_val = max(1, min(n_val, len(rest) - 1))
    val_runs = set(rest[:n_val])
    split = Split()
    for run in sorted(by_run):
        part = split.test if run in test_runs else split.validation if run in val_runs else split.train
        part.extend(by_run[run])
    return split


def repeat_by_weight(examples: Iterable[Example]) -> list[Example]:
    """Each example ``weight`` times (weight 0 drops it)."""
    return [e for e in examples for _ in range(max(0, int(e.weight)))]


def balance(
    examples: Sequence[Example], method: str, bad_class: str | None = None, seed: int = 0
) -> tuple[list[Example], dict[int, float] | None, list[str]]:
    """Balance classes; return (examples, class weights or None, notes).

    ``undersample``: every class cut down to the count of ``bad_class`` (or of the smallest
    class when there is no Bad); ``oversample``: every class repeated at random up to the
    largest class; ``class_weights``: examples unchanged, loss weights inverse to frequency;
    ``none``: unchanged.
    """
    if method not in BALANCING:
        raise ValueError(f"unknown balancing {method!r}; use one of {', '.join(BALANCING)}")
    by_class: dict[str, list[Example]] = {}
    for e in examples:
        by_class.setdefault(e.label, []).append(e)
    if method == "none" or len(by_class) < 2:
        return list(examples), None, []
    classes = sorted(by_class)
    counts = {c: len(v) for c, v in by_class.items()}
    if method == "class_weights":
        total = sum(counts.values())
        weights = {i: total / (len(classes) * counts[c]) for i, c in enumerate(classes)}
        return (
            list(examples),
            weights,
            [f"class weights {', '.join(f'{c}={weights[i]:.2f}' for i, c in enumerate(classes))}"],
        )
    rng = random.Random(seed)
    out: list[Example] = []
    if method == "undersample":
        target = counts.get(bad_class) if bad_class in counts else min(counts.values())
        for c in classes:
            items = by_class[c]
            out += items if len(items) <= target else rng.sample(items, target)
        note = f"undersampled every class to {target}"
    else:
        target = max(counts.values())
        for c in classes:
            items = by_class[c]
            out += items + [rng.choice(items) for _ in range(target - len(items))]
        note = f"oversampled every class to {target}"
    rng.shuffle(out)
    return out, None, [note]


def fingerprint(examples: Iterable[Example], classes: Sequence[str], extra: dict | None = None) -> str:
    """SHA-256 of the training data: each example's key, label and weight, and the class list.

    Equal fingerprints mean retraining would see exactly the same data.
    """
    rows = sorted((str(e.key or e.path), e.label or "", int(e.weight), int(e.run)) for e in examples)
    blob = json.dumps({"classes": list(classes), "rows": rows, "extra": extra or {}}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def training_fingerprint(examples: Iterable[Example], excluded: Iterable[str] = ()) -> str:
    """The fingerprint of what ``ml.training.train`` would learn from ``examples``."""
    usable, classes = select_classes(examples, excluded)
    return fingerprint(usable, classes, {"excluded": sorted(set(excluded))})


def decode_image(data, input_shape):
    """A tf graph function: PNG/JPEG bytes to a float32 tensor of ``input_shape`` in [0, 1]."""
    import tensorflow as tf

    height, width, channels = (int(v) for v in input_shape)
    image = tf.io.decode_image(data, channels=channels, expand_animations=False)
    image = tf.image.resize(tf.cast(image, tf.float32) / 255.0, (height, width), antialias=True)
    image.set_shape((height, width, channels))
    return tf.clip_by_value(image, 0.0, 1.0)


def image_dataset(
    paths: Sequence[str],
    input_shape,
    labels: Sequence[int] | None = None,
    n_classes: int | None = None,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int = 0,
    cache: bool = False,
    augmentation=None,
):
    """A batched, prefetched ``tf.data.Dataset`` of images (and one-hot labels when given).

    ``cache`` keeps decoded images in memory after the first pass, so later epochs skip the
    PNG decoding; shuffling happens after the cache, every epoch. ``augmentation`` (an
    ``ml.augment.Augmentation``; training images only) changes every image anew each epoch.
    """
    import tensorflow as tf

    autotune = tf.data.AUTOTUNE
    ds = tf.data.Dataset.from_tensor_slices(list(paths))
    if labels is not None:
        onehot = tf.one_hot(list(labels), n_classes)
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(onehot)))
        ds = ds.map(lambda p, y: (decode_image(tf.io.read_file(p), input_shape), y), num_parallel_calls=autotune)
    else:
        ds = ds.map(lambda p: decode_image(tf.io.read_file(p), input_shape), num_parallel_calls=autotune)
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(max(1, len(paths)), seed=seed, reshuffle_each_iteration=True)
    if augmentation is not None:
        from ml.augment import augment_image

        if labels is not None:
            ds = ds.map(lambda x, y: (augment_image(x, augmentation), y), num_parallel_calls=autotune)
        else:
            ds = ds.map(lambda x: augment_image(x, augmentation), num_parallel_calls=autotune)
    return ds.batch(batch_size).prefetch(autotune)


def load_images(paths: Sequence[str], input_shape, batch_size: int = 64):
    """Decode ``paths`` into one numpy array (N, H, W, C) exactly as training does."""
    import numpy as np

    if not paths:
        height, width, channels = input_shape
        return np.zeros((0, height, width, channels), dtype="float32")
    return np.concatenate([b.numpy() for b in image_dataset(paths, input_shape, batch_size=batch_size)])


def reference_images(examples: Sequence[Example], input_shape, per_group: int = 200, seed: int = 0):
    """One reference image per group: the mean of its most common class, decoded as for training.

    Returns ``(groups, images)`` with images shaped (groups, H, W, C). In monitoring the most
    common class is the usual, good plot. At most ``per_group`` images of a group are read.
    """
    import numpy as np

    by_group: dict[str, list[Example]] = {}
    for e in examples:
        by_group.setdefault(e.group, []).append(e)
    groups = sorted(by_group)
    rng = random.Random(seed)
    images = []
    for group in groups:
        items = by_group[group]
        usual = Counter(e.label for e in items).most_common(1)[0][0]
        paths = sorted({e.path for e in items if e.label == usual})
        if len(paths) > per_group:
            paths = rng.sample(paths, per_group)
        images.append(load_images(paths, input_shape).mean(axis=0))
    return groups, np.stack(images).astype("float32")
