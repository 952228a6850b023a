"""Classify images with a saved model: load once, warm up, predict in batches.

A ``Classifier`` is meant to live for the whole worker process; ``predict`` on a list of
image files decodes them exactly as training did.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import numpy as np

from ml import evaluation


class Classifier:
    """A loaded model with its label map and input shape."""

    def __init__(self, path: str, warm_up: bool = True):
        from ml import model_files

        self.path = str(path)
        self.model, self.info = model_files.load(path)
        self.classes: list[str] = list(self.info.label_map)
        self.input_shape = tuple(int(v) for v in self.info.input_shape)
        self._gradcam = None
        # Keras models are safe to call from several threads, but GradCAM's tape and model
        # are built lazily; build them once.
        self._lock = threading.Lock()
        self._predict = self._compiled_predict()
        if warm_up:
            self.warm_up()

    def _compiled_predict(self):
        import tensorflow as tf

        model = self.model

        @tf.function(reduce_retracing=True)
        def predict(batch):
            return model(batch, training=False)

        return predict

    def warm_up(self) -> None:
        """Run one batch of zeros so graph tracing is not paid by the first real plot."""
        self.predict_arrays(np.zeros((1, *self.input_shape), dtype="float32"))

    def predict_arrays(self, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Class scores (N, K) for images already decoded and scaled to [0, 1]."""
        images = np.asarray(images, dtype="float32")
        if not len(images):
            return np.zeros((0, len(self.classes)), dtype="float32")
        parts = [self._predict(images[i : i + batch_size]).numpy() for i in range(0, len(images), batch_size)]
        return np.concatenate(parts)

    def load(self, paths: Sequence[str], batch_size: int = 64) -> np.ndarray:
        from ml import data

        return data.load_images(list(paths), self.input_shape, batch_size)

    def predict(self, paths: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Class scores (N, K) for image files."""
        return self.predict_arrays(self.load(paths, batch_size), batch_size)

    def verdicts(self, scores: np.ndarray, thresholds: Mapping[str, float]) -> list[evaluation.Verdict]:
        return evaluation.verdicts(scores, self.classes, thresholds)

    def gradcam(self, images: np.ndarray, class_indices: Sequence[int] | None = None) -> np.ndarray:
        """Heat maps (N, H, W) for decoded images, on the architecture's GradCAM layer."""
        from ml import architectures, gradcam

        with self._lock:
            if self._gradcam is None:
                preferred = None
                if self.info.architecture in architectures.ARCHITECTURES:
                    preferred = architectures.get(self.info.architecture).gradcam_layer
                self._gradcam = gradcam.GradCam(self.model, preferred)
        return self._gradcam(images, class_indices)
