"""Resuming an interrupted training run: the state after each epoch, written so a kill loses nothing.

``ml.training.train`` keeps a ``Checkpoint`` in a directory of the run's own when asked; a run
started again with the same data and settings (``checkpoint_key``) continues after the last epoch
saved. No Django.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

CHECKPOINT_STATE = "state.json"


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


class Checkpoint:
    """The training state after the last completed epoch, in a directory of one training run's own.

    After each epoch: the model's weights (optimizer state included), the best weights early stopping
    keeps, the callbacks' counters and the curves so far. Weight files get a new name per epoch and
    ``state.json``, which names them, is replaced atomically last: a process killed at any moment
    leaves the previous epoch's state whole. ``key`` ties the state to its data and settings; a state
    written for anything else is ignored.
    """

    def __init__(self, directory, key: str):
        self.directory = Path(directory)
        self.key = key
        self.state: dict | None = None

    def load(self) -> dict | None:
        """The saved state for this key, or None (nothing saved, another run's, unreadable)."""
        try:
            state = json.loads((self.directory / CHECKPOINT_STATE).read_text())
        except (OSError, ValueError):
            return None
        if state.get("key") != self.key or not (self.directory / state.get("weights", "")).is_file():
            return None
        self.state = state
        return state

    def write(self, state: dict) -> None:
        state = {**state, "key": self.key}
        tmp = self.directory / f"{CHECKPOINT_STATE}.tmp"
        with open(tmp, "w") as fh:
            json.dump(state, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.directory / CHECKPOINT_STATE)
        self.state = state
        keep = {CHECKPOINT_STATE, state.get("weights"), state.get("best_weights")}
        for path in self.directory.iterdir():
            if path.name not in keep:
                path.unlink(missing_ok=True)

    def remove(self) -> None:
        import shutil

        shutil.rmtree(self.directory, ignore_errors=True)


def checkpoint_key(hyper_parameters: dict, fingerprint: str, classes: Sequence[str], parent) -> str:
    """What a checkpoint is for: the settings, the data, the classes and whether a parent is tuned."""
    parts = {"hp": hyper_parameters, "fingerprint": fingerprint, "classes": list(classes), "parent": parent is not None}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def restore(model, checkpoint: Checkpoint) -> int:
    """Load the checkpoint's weights and optimizer state into the compiled ``model``; the epochs done."""
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    model.load_weights(checkpoint.directory / checkpoint.state["weights"])
    return int(checkpoint.state["epoch"])


def checkpoint_callback(checkpoint: Checkpoint, stopping, plateau):
    """Saves the state after each epoch; at the start of a resumed fit gives early stopping and the
    learning-rate schedule back the counters they had (they reset themselves in on_train_begin)."""
    import keras
    import numpy as np

    class EpochCheckpoint(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            state = checkpoint.state or {}
            self.history: dict[str, list[float]] = {k: list(v) for k, v in state.get("history", {}).items()}

        def on_train_begin(self, logs=None):
            state = checkpoint.state
            if not state:
                return
            for callback, saved in ((stopping, state.get("stopping")), (plateau, state.get("plateau"))):
                if callback is not None and saved:
                    for name, value in saved.items():
                        setattr(callback, name, value)
            best = state.get("best_weights")
            if best:
                with np.load(checkpoint.directory / best) as arrays:
                    stopping.best_weights = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]

        def on_epoch_end(self, epoch, logs=None):
            for key, value in (logs or {}).items():
                self.history.setdefault(key, []).append(round(float(value), 6))
            checkpoint.directory.mkdir(parents=True, exist_ok=True)
            done = epoch + 1
            weights = f"epoch-{done:04d}.weights.h5"
            self.model.save_weights(checkpoint.directory / weights)
            _fsync(checkpoint.directory / weights)
            best = (checkpoint.state or {}).get("best_weights")
            if stopping.best_weights is not None and stopping.best_epoch == epoch:
                best = f"best-{done:04d}.npz"
                np.savez(checkpoint.directory / best, *stopping.best_weights)
                _fsync(checkpoint.directory / best)
            checkpoint.write(
                {
                    "epoch": done,
                    "weights": weights,
                    "best_weights": best,
                    "history": self.history,
                    "stopping": _counters(stopping, "wait", "best", "best_epoch"),
                    "plateau": _counters(plateau, "wait", "best", "cooldown_counter"),
                }
            )

        def on_train_end(self, logs=None):
            # Early stopping may end before the last epoch: a run started again after this point
            # (killed while evaluating or saving) trains no further.
            if checkpoint.state and not checkpoint.state.get("finished"):
                checkpoint.write({**checkpoint.state, "finished": True})

    return EpochCheckpoint()


def _counters(callback, *names) -> dict | None:
    if callback is None:
        return None
    values = {name: getattr(callback, name) for name in names}
    return {k: v if v is None or isinstance(v, int) else float(v) for k, v in values.items()}
