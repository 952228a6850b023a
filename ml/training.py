"""Train a classifier on labeled examples: split by run, balance, fit with early stopping.

``train`` is the one entry point. It returns the fitted Keras model with what the model
file's sidecar and the registry need: class names, curves, the split and a fingerprint of
the training data.
"""

from __future__ import annotations

import inspect
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields

from ml import data
from ml.augment import from_setting as augmentation_of
from ml.checkpoints import Checkpoint, checkpoint_callback, checkpoint_key, restore
from ml.data import Example

OPTIMIZERS = ("sgd", "adam")
LR_SCHEDULES = ("constant", "plateau", "cosine")
# Decoded images are cached in memory for later epochs while they fit in this many bytes.
CACHE_LIMIT_BYTES = 2 * 1024**3


@dataclass
class HyperParameters:
    """Everything that shapes a training run. ``input_shape`` None means the architecture's own.

    Adam at 0.001 with class weights is the default: on the demo plots it beat Hydra's SGD
    (lr 0.01, momentum 0.2, Nesterov; pick ``optimizer="sgd"``) for the compact CNN within the
    same epochs. ``bad_class`` names the class that undersampling sizes the others to.
    ``references`` compares every plot with the mean good plot of its type (see
    ``ml.layers.ReferenceDifference``); None turns it on where the architecture can. On the
    demo plots it took Bad recall from 91 % to 96 %. ``lr_schedule`` is ``plateau`` (halve the
    rate when the validation loss stops falling: steadier than a constant rate across seeds on
    the demo plots), ``constant`` or ``cosine`` (decay over the epochs).
    """

    architecture: str = "compact"
    input_shape: tuple[int, int, int] | None = None
    epochs: int = 40
    batch_size: int = 16
    optimizer: str = "adam"
    learning_rate: float = 0.001
    momentum: float = 0.2
    nesterov: bool = True
    patience: int = 8
    lr_schedule: str = "plateau"
    references: bool | None = None
    balance: str = "class_weights"
    validation_fraction: float = 0.2
    test_fraction: float = 0.0
    seed: int = 0
    weights: str | None = None
    bad_class: str = "Bad"
    options: dict = field(default_factory=dict)
    # Confirmation: per class, the precision confirmed verdicts must reach on the calibration runs
    # (ml.calibration); classes not named keep the max-F1 threshold.
    target_precision: dict = field(default_factory=lambda: {"Good": 0.99})
    # Training images changed at random each epoch in ways that keep the physics (ml.augment):
    # True for the default strengths, False for none, or a dict of strengths. Off by default: on
    # unseen demo seeds (bench/generalisation.py) the model without it caught more Bad plots.
    augment: bool | dict = False

    @classmethod
    def from_dict(cls, values: dict | None) -> HyperParameters:
        """Build from a (JSON) dict; unknown keys are an error, so typos do not pass silently."""
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown hyper-parameters: {', '.join(sorted(unknown))}")
        if values.get("input_shape") is not None:
            values["input_shape"] = tuple(int(v) for v in values["input_shape"])
        hp = cls(**values)
        hp.check()
        return hp

    def check(self) -> None:
        from ml import architectures

        architectures.get(self.architecture)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.references and not _compares_with_references(self.architecture):
            raise ValueError(f"the {self.architecture} architecture cannot compare with references")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {self.lr_schedule!r}")
        if self.balance not in data.BALANCING:
            raise ValueError(f"balance must be one of {', '.join(data.BALANCING)}, got {self.balance!r}")
        if not (1 <= self.epochs <= 1000 and 1 <= self.batch_size <= 1024):
            raise ValueError("epochs must be 1..1000 and batch_size 1..1024")
        if not (0 < self.learning_rate < 10):
            raise ValueError(f"learning_rate must be in (0, 10), got {self.learning_rate}")
        if not (0 <= self.validation_fraction < 1 and 0 <= self.test_fraction < 1):
            raise ValueError("validation_fraction and test_fraction must be in [0, 1)")
        if not isinstance(self.target_precision, dict) or not all(
            isinstance(v, int | float) and 0 < v <= 1 for v in self.target_precision.values()
        ):
            raise ValueError('target_precision maps class names to a precision in (0, 1], e.g. {"Good": 0.99}')
        augmentation_of(self.augment)

    def resolved_input_shape(self) -> tuple[int, int, int]:
        from ml import architectures

        return tuple(self.input_shape or architectures.get(self.architecture).input_shape)

    def uses_references(self) -> bool:
        """``references`` None means: whenever the architecture can (the compact CNN can)."""
        if self.references is None:
            return _compares_with_references(self.architecture)
        return self.references

    def as_dict(self) -> dict:
        out = asdict(self)
        out["input_shape"] = list(self.resolved_input_shape())
        out["references"] = self.uses_references()
        return out


def _compares_with_references(name: str) -> bool:
    from ml import architectures

    return "references" in inspect.signature(architectures.get(name).build).parameters


@dataclass
class Progress:
    """What the progress callback receives after each epoch."""

    epoch: int
    epochs: int
    loss: float
    accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    history: dict[str, list[float]]


@dataclass
class TrainingResult:
    """A fitted model and everything needed to save and describe it."""

    model: object
    classes: list[str]
    hyper_parameters: HyperParameters
    history: dict[str, list[float]]
    split: data.Split
    fingerprint: str
    counts: dict[str, dict[str, int]]
    notes: list[str]
    seconds: float
    best_epoch: int
    # Epochs a checkpoint of an interrupted run already held (0: trained from the first epoch).
    resumed_from: int = 0


def _optimizer(hp: HyperParameters, steps_per_epoch: int):
    import keras

    rate = hp.learning_rate
    if hp.lr_schedule == "cosine":
        # Down to 1/100 of the rate by the last epoch; early stopping may end sooner.
        rate = keras.optimizers.schedules.CosineDecay(hp.learning_rate, hp.epochs * steps_per_epoch, alpha=0.01)
    if hp.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=rate, momentum=hp.momentum, nesterov=hp.nesterov)
    return keras.optimizers.Adam(learning_rate=rate)


PROGRESS_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


def _progress_callback(report: Callable[[Progress], None], epochs: int, history: dict | None = None):
    import keras

    class ReportProgress(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            earlier = {k: v for k, v in (history or {}).items() if k in PROGRESS_KEYS}
            self.history: dict[str, list[float]] = {k: list(v) for k, v in earlier.items()}

        def on_epoch_end(self, epoch, logs=None):
            logs = {k: float(v) for k, v in (logs or {}).items()}
            for key in PROGRESS_KEYS:
                if key in logs:
                    self.history.setdefault(key, []).append(round(logs[key], 6))
            report(
                Progress(
                    epoch=epoch + 1,
                    epochs=epochs,
                    loss=logs.get("loss", math.nan),
                    accuracy=logs.get("accuracy", math.nan),
                    val_loss=logs.get("val_loss"),
                    val_accuracy=logs.get("val_accuracy"),
                    history={k: list(v) for k, v in self.history.items()},
                )
            )

    return ReportProgress()


def _from_parent(parent, classes: Sequence[str], parent_classes: Sequence[str] | None, dropout: float = 0.0):
    """Fine-tune ``parent``: keep it whole when the classes match, else put a new head on it."""
    import keras

    if parent_classes is not None and list(parent_classes) == list(classes):
        return parent
    features = parent.layers[-2].output
    outputs = keras.layers.Dense(len(classes), activation="softmax", name="predictions_finetuned")(features)
    return keras.Model(parent.inputs, outputs, name=f"{parent.name}_finetuned")


def _training_set(examples: Sequence[Example], hp: HyperParameters, excluded: Sequence[str]):
    """The classes, the split by run and the balanced training examples (with class weights and notes)."""
    usable, classes = data.select_classes(examples, excluded)
    if len(classes) < 2:
        raise ValueError(f"need at least two classes with two or more labeled examples each, got {classes or 'none'}")
    split = data.split_by_run(usable, hp.validation_fraction, hp.test_fraction, hp.seed)
    trainable = data.repeat_by_weight(split.train)
    if len({e.label for e in trainable}) < 2:
        raise ValueError("the training runs hold fewer than two classes; label more plots or change the split")
    balanced, class_weight, notes = data.balance(trainable, hp.balance, hp.bad_class, hp.seed)
    return classes, split, balanced, class_weight, notes


def _new_model(hp: HyperParameters, split: data.Split, classes, parent, parent_classes, notes: list[str]):
    """The model to fit: ``parent`` tuned to ``classes``, or a new one (with its reference images)."""
    if parent is not None:
        notes.append("fine-tuned from a parent model")
        return _from_parent(parent, classes, parent_classes)
    from ml import architectures

    shape = hp.resolved_input_shape()
    options = dict(hp.options or {})
    if hp.uses_references():
        groups, references = data.reference_images(split.train, shape, seed=hp.seed)
        options["references"] = len(groups)
    model = architectures.build_model(hp.architecture, shape, len(classes), weights=hp.weights, **options)
    if hp.uses_references():
        model.get_layer(architectures.REFERENCE_LAYER).set_weights([references])
        named = ", ".join(groups[:5]) + (f" and {len(groups) - 5} more" if len(groups) > 5 else "")
        notes.append(f"compares each plot with the nearest of {len(groups)} reference image(s): {named or 'one'}")
    return model


def _resume(model, checkpoint_dir, key: str, epochs: int, notes: list[str]) -> tuple[Checkpoint | None, int, int]:
    """The checkpoint of this run (None without ``checkpoint_dir``), the epochs it already holds and
    the epoch to start from (``epochs`` when the saved run had finished)."""
    if checkpoint_dir is None:
        return None, 0, 0
    checkpoint, resumed_from = Checkpoint(checkpoint_dir, key), 0
    if checkpoint.load() is not None:
        try:
            resumed_from = restore(model, checkpoint)
        except (OSError, ValueError, KeyError) as exc:
            checkpoint.state = None  # unreadable: train from the first epoch
            notes.append(f"checkpoint not used ({type(exc).__name__}: {exc})")
    if resumed_from:
        notes.append(f"resumed after epoch {resumed_from} from the checkpoint of an interrupted run")
    return checkpoint, resumed_from, epochs if (checkpoint.state or {}).get("finished") else resumed_from


def _datasets(hp: HyperParameters, balanced: list[Example], val: list[Example], classes):
    """The training pipeline (shuffled, augmented if asked) and the validation one (None without runs)."""
    import numpy as np

    shape = hp.resolved_input_shape()
    index = {c: i for i, c in enumerate(classes)}
    cache = 4 * int(np.prod(shape)) * len({e.path for e in balanced}) < CACHE_LIMIT_BYTES

    def pipeline(items, **options):
        paths, labels = [e.path for e in items], [index[e.label] for e in items]
        return data.image_dataset(paths, shape, labels, len(classes), hp.batch_size, cache=cache, **options)

    train_ds = pipeline(balanced, shuffle=True, seed=hp.seed, augmentation=augmentation_of(hp.augment))
    return train_ds, (pipeline(val) if val else None)


def _callbacks(hp: HyperParameters, monitor: str, checkpoint: Checkpoint | None, progress):
    """Early stopping, the learning-rate schedule, the checkpoint and progress; and the checkpoint's callback."""
    import keras

    stopping = keras.callbacks.EarlyStopping(monitor=monitor, patience=hp.patience, restore_best_weights=True)
    plateau = None
    if hp.lr_schedule == "plateau":
        plateau = keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=0.5, patience=max(2, hp.patience // 3), min_lr=hp.learning_rate / 32
        )
    callbacks = [stopping] + ([plateau] if plateau is not None else [])
    saving = None
    if checkpoint is not None:
        # After early stopping and the schedule (it saves what they decided), before progress: an epoch
        # reported done is an epoch saved.
        saving = checkpoint_callback(checkpoint, stopping, plateau)
        callbacks.append(saving)
    if progress is not None:
        earlier = (checkpoint.state or {}).get("history") if checkpoint is not None else None
        callbacks.append(_progress_callback(progress, hp.epochs, earlier))
    return callbacks, saving


def train(
    examples: Sequence[Example],
    hp: HyperParameters | None = None,
    *,
    excluded: Sequence[str] = (),
    parent=None,
    parent_classes: Sequence[str] | None = None,
    progress: Callable[[Progress], None] | None = None,
    verbose: int = 0,
    checkpoint_dir=None,
) -> TrainingResult:
    """Train a classifier on ``examples``.

    Examples of ``excluded`` classes are never used; classes with under two examples are
    dropped; runs are split into train / validation / test (weight-0 runs are test only);
    training examples are repeated by weight, then balanced. ``parent`` (a Keras model, with
    ``parent_classes``) is fine-tuned instead of starting from scratch. ``progress`` is called
    after every epoch. Early stopping watches the validation loss and restores the best weights.
    ``checkpoint_dir`` (a directory of this run's own) keeps the state after every epoch; a run
    started again with the same data and settings continues after the last saved epoch
    (``TrainingResult.resumed_from``). The caller removes the directory once the model is saved.
    """
    import keras
    import numpy as np

    hp = hp or HyperParameters()
    hp.check()
    started = time.perf_counter()
    keras.utils.set_random_seed(hp.seed)
    classes, split, balanced, class_weight, notes = _training_set(examples, hp, excluded)
    model = _new_model(hp, split, classes, parent, parent_classes, notes)
    steps = max(1, math.ceil(len(balanced) / hp.batch_size))
    model.compile(optimizer=_optimizer(hp, steps), loss="categorical_crossentropy", metrics=["accuracy"])
    fingerprint = data.training_fingerprint(examples, excluded)
    key = checkpoint_key(hp.as_dict(), fingerprint, classes, parent)
    checkpoint, resumed_from, first_epoch = _resume(model, checkpoint_dir, key, hp.epochs, notes)
    train_ds, val_ds = _datasets(hp, balanced, split.validation, classes)
    monitor = "val_loss" if val_ds is not None else "loss"
    callbacks, saving = _callbacks(hp, monitor, checkpoint, progress)
    fit = _fit(model, hp, (train_ds, val_ds), first_epoch, callbacks, class_weight, verbose)
    # A resumed run's own history starts at its first new epoch; the checkpoint's has every epoch.
    history = {k: [round(float(v), 6) for v in vals] for k, vals in (saving or fit).history.items()}
    return TrainingResult(
        model=model,
        classes=classes,
        hyper_parameters=hp,
        history=history,
        split=split,
        fingerprint=fingerprint,
        counts=_counts(split, balanced),
        notes=notes,
        seconds=time.perf_counter() - started,
        best_epoch=int(np.argmin(history.get(monitor) or [0.0])) + 1,
        resumed_from=resumed_from,
    )


def _fit(model, hp: HyperParameters, datasets, first_epoch: int, callbacks, class_weight, verbose: int):
    """Keras' fit from ``first_epoch`` (after a resume) to ``hp.epochs``; returns its History."""
    train_ds, val_ds = datasets
    return model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=hp.epochs,
        initial_epoch=first_epoch,
        callbacks=callbacks,
        class_weight=class_weight,
        shuffle=False,  # the dataset reshuffles itself every epoch
        verbose=verbose,
    )


def _counts(split: data.Split, balanced: list[Example]) -> dict[str, dict[str, int]]:
    counts = {part: dict(Counter(e.label for e in getattr(split, part))) for part in ("train", "validation", "test")}
    counts["balanced"] = dict(Counter(e.label for e in balanced))
    return counts
