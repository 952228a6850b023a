"""Asking for work on the models: request training, queue verdicts and evaluations.

Nothing here imports TensorFlow or the actors: web processes call these and queue the work by the
actor's name (``apps.jobs.runner.enqueue``); workers run it (``apps.monitoring.tasks`` →
``apps.monitoring.training`` and ``apps.monitoring.classify``). Training data:
``apps.monitoring.training_data``; activation and thresholds: ``apps.monitoring.registry``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from apps.jobs.runner import enqueue
from apps.monitoring.models import ClassifierModel
from apps.monitoring.registry import active_model_ids
from apps.monitoring.training_data import data_fingerprint
from apps.plots.models import Plot, PlotType

# The actors of apps.monitoring.tasks, by name: the relay finds them when it sends the job's message.
TRAIN = "train_model"
CLASSIFY = "classify_plots"
EVALUATE = "evaluate_model"

DEFAULT_ARCHITECTURE = "compact"


def model_counts(type_ids) -> dict[int, tuple[int, int]]:
    """(ready, all) models per plot type, counting a shared model for every plot type it serves."""
    served = list(
        ClassifierModel.plot_types.through.objects.filter(plottype_id__in=type_ids).values_list(
            "classifiermodel_id", "plottype_id"
        )
    )
    rows = ClassifierModel.objects.filter(Q(plot_type_id__in=type_ids) | Q(pk__in={m for m, _ in served}))
    status, per_type = {}, {}
    for pk, owner, state in rows.values_list("pk", "plot_type_id", "status"):
        status[pk] = state
        per_type.setdefault(owner, set()).add(pk)
    for pk, type_id in served:
        per_type.setdefault(type_id, set()).add(pk)
    ready = ClassifierModel.Status.READY
    return {t: (sum(status[m] == ready for m in models), len(models)) for t, models in per_type.items()}


def clean_hyper_parameters(architecture: str, values: dict | None) -> dict:
    """Validated hyper-parameters as stored on a model; ValidationError names what is wrong."""
    from ml.training import HyperParameters

    values = {k: v for k, v in dict(values or {}).items() if v not in (None, "")}
    values["architecture"] = architecture or DEFAULT_ARCHITECTURE
    try:
        return HyperParameters.from_dict(values).as_dict()
    except (TypeError, ValueError) as exc:
        raise ValidationError(str(exc)) from None


@dataclass
class TrainingRequest:
    """What asking for training did: queued ``model`` with ``job``, or pointed at ``unchanged``."""

    model: ClassifierModel | None = None
    job: object | None = None
    unchanged: ClassifierModel | None = None

    @property
    def skipped(self) -> bool:
        return self.model is None


def _same_run(model: ClassifierModel, hp: dict, parent: ClassifierModel | None) -> bool:
    return model.hyper_parameters == hp and model.parent_id == (parent.pk if parent else None)


def request_training(
    plot_type: PlotType,
    *,
    user=None,
    architecture: str = DEFAULT_ARCHITECTURE,
    hyper_parameters: dict | None = None,
    parent: ClassifierModel | None = None,
    force: bool = False,
    activate: bool | None = None,
    shared_with=(),
    classify_after: bool = False,
    defer: bool = False,
) -> TrainingRequest:
    """Queue training of a new model, unless a model with the same data and settings exists.

    Retraining is skipped when a ready (or queued, or training) model of this plot type was
    made from the same training-data fingerprint with the same architecture and
    hyper-parameters; ``force`` trains anyway. When it is ready the model becomes active for each
    plot type where the activation gate lets it (``apps.monitoring.gating``: not worse than the
    active model on the same test runs, not one verdict for everything); ``activate`` False never
    activates it (None and True both mean: when the gate lets it).
    ``shared_with`` adds plot types of the same experiment: one model learns from all of
    them and may classify each. ``classify_after`` then gives the plots of the types it was
    activated for their first verdicts; ``defer`` holds the job until the portal serves
    (``apps.jobs.runner.enqueue``).
    """
    hp = clean_hyper_parameters(architecture, hyper_parameters)
    others = _shared_types(plot_type, shared_with, parent)
    covered = [plot_type, *others]
    fingerprint = data_fingerprint(covered)
    if not force:
        existing = _same_training(plot_type, covered, fingerprint, hp, parent)
        if existing is not None:
            return TrainingRequest(unchanged=existing)
    with transaction.atomic():
        model = _create_versioned(plot_type, hp, parent, fingerprint, user)
        if others:
            model.plot_types.add(*covered)
        more = f" + {len(others)} more" if others else ""
        job = enqueue(
            TRAIN,
            kind="train",
            title=f"Train {plot_type.name}{more} v{model.version} ({hp['architecture']})",
            user=user,
            defer=defer,
            model_id=model.pk,
            activate=activate,
            **({"classify": True} if classify_after else {}),
        )
        model.job = job
        model.save(update_fields=["job"])
    return TrainingRequest(model=model, job=job)


def _shared_types(plot_type: PlotType, shared_with, parent: ClassifierModel | None) -> list[PlotType]:
    """The other plot types the model learns from; ValidationError for another experiment's or a foreign parent."""
    others = [t for t in shared_with if t.pk != plot_type.pk]
    if any(t.experiment_id != plot_type.experiment_id for t in others):
        raise ValidationError("a shared model covers plot types of one experiment only")
    if parent is not None and plot_type.pk not in parent.covered_type_ids():
        raise ValidationError("a parent model must cover the same plot type")
    return others


def _same_training(
    plot_type: PlotType, covered: list[PlotType], fingerprint: str, hp: dict, parent: ClassifierModel | None
) -> ClassifierModel | None:
    """The newest ready, queued or training model of the same data, settings, parent and plot types, if any."""
    candidates = ClassifierModel.objects.filter(
        plot_type=plot_type,
        fingerprint=fingerprint,
        status__in=[ClassifierModel.Status.READY, ClassifierModel.Status.QUEUED, ClassifierModel.Status.TRAINING],
    ).order_by("-version")
    wanted = sorted(t.pk for t in covered)
    for existing in candidates:
        if _same_run(existing, hp, parent) and existing.covered_type_ids() == wanted:
            return existing
    return None


def _create_versioned(plot_type, hp, parent, fingerprint, user) -> ClassifierModel:
    for _ in range(5):
        version = (ClassifierModel.objects.filter(plot_type=plot_type).aggregate(v=Max("version"))["v"] or 0) + 1
        try:
            with transaction.atomic():
                return ClassifierModel.objects.create(
                    plot_type=plot_type,
                    architecture=hp["architecture"],
                    version=version,
                    parent=parent,
                    hyper_parameters=hp,
                    input_shape=hp["input_shape"],
                    fingerprint=fingerprint,
                    created_by=user if user is not None and user.is_authenticated else None,
                )
        except IntegrityError:
            continue  # someone took this version number meanwhile
    raise IntegrityError(f"could not allocate a model version for {plot_type}")


# Plots per classification job when a plot type's unclassified plots are queued at once.
CLASSIFY_CHUNK = 2000


def queue_unclassified(type_ids, *, user=None) -> list:
    """Queue classification of every plot of ``type_ids`` without a verdict (jobs of CLASSIFY_CHUNK plots)."""
    jobs = []
    for type_id in sorted(active_model_ids(type_ids)):
        ids = list(
            Plot.objects.filter(plot_type_id=type_id, classified_at__isnull=True)
            .order_by("id")
            .values_list("id", flat=True)
        )
        for start in range(0, len(ids), CLASSIFY_CHUNK):
            chunk = ids[start : start + CLASSIFY_CHUNK]
            jobs.append(
                enqueue(CLASSIFY, kind="classify", title=f"Classify {len(chunk)} plots", user=user, plot_ids=chunk)
            )
    return jobs


def queue_classification(plots, *, user=None, title: str = ""):
    """Queue classification of ``plots`` whose plot type has an active model; return the job or None."""
    plots = [p for p in plots if p.pk is not None]
    active = active_model_ids({p.plot_type_id for p in plots})
    ids = [p.pk for p in plots if p.plot_type_id in active]
    if not ids:
        return None
    return enqueue(CLASSIFY, kind="classify", title=title or f"Classify {len(ids)} new plots", user=user, plot_ids=ids)


def queue_evaluation(model: ClassifierModel, *, user=None):
    """Queue a re-evaluation of ``model`` on the current labels of its test plots; return the job."""
    return enqueue(EVALUATE, kind="evaluate", title=f"Evaluate {model}", user=user, model_id=model.pk)
