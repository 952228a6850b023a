"""Registry operations: gather training data, request training, activate, set thresholds, queue verdicts.

Nothing here imports TensorFlow: web processes call these, workers do the heavy part
(``apps.monitoring.training`` and ``apps.monitoring.classify``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from apps.audit import record
from apps.audit.models import AuditEntry
from apps.core import files
from apps.core.events import publish_on_commit
from apps.labels.models import LabelClass
from apps.monitoring.models import Activation, ActiveModel, ClassifierModel
from apps.monitoring.permissions import can_activate, can_edit_thresholds
from apps.plots.models import Plot, PlotType
from ml.data import Example, training_fingerprint

DEFAULT_ARCHITECTURE = "compact"


def excluded_classes(plot_type: PlotType) -> list[str]:
    """Names of the classes never trained on (like Ignore)."""
    return list(
        LabelClass.objects.filter(experiment_id=plot_type.experiment_id, excluded_from_training=True).values_list(
            "name", flat=True
        )
    )


def training_examples(plot_types) -> list[Example]:
    """Every labeled plot of ``plot_types`` (one or several) as ``ml.data.Example`` records.

    The key is the plot id and image hash, so a relabel, a new weight or a replaced image
    changes the fingerprint.
    """
    if isinstance(plot_types, PlotType):
        plot_types = [plot_types]
    # On object storage the path stays the stored name: the worker that trains fetches the files
    # (apps.monitoring.training), the web process that only fingerprints never does.
    root = files.local_root()
    rows = (
        Plot.objects.filter(plot_type__in=list(plot_types), label_class__isnull=False)
        .order_by("id")
        .values_list("id", "image", "sha256", "label_class__name", "run_number", "training_weight", "plot_type__name")
    )
    return [
        Example(
            path=str(root / image) if root else image,
            label=label,
            run=run,
            weight=weight,
            key=f"{pk}:{sha}",
            group=plot_type,
        )
        for pk, image, sha, label, run, weight, plot_type in rows
    ]


def data_fingerprint(plot_types, examples: list[Example] | None = None) -> str:
    """Fingerprint of what training on ``plot_types`` would see now."""
    if isinstance(plot_types, PlotType):
        plot_types = [plot_types]
    if examples is None:
        examples = training_examples(plot_types)
    return training_fingerprint(examples, excluded_classes(plot_types[0]))


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


def model_plot_types(model: ClassifierModel) -> list[PlotType]:
    return list(PlotType.objects.filter(pk__in=model.covered_type_ids()).order_by("name"))


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
    from apps.jobs.runner import enqueue
    from apps.monitoring.tasks import train_model

    hp = clean_hyper_parameters(architecture, hyper_parameters)
    others = [t for t in shared_with if t.pk != plot_type.pk]
    if any(t.experiment_id != plot_type.experiment_id for t in others):
        raise ValidationError("a shared model covers plot types of one experiment only")
    covered = [plot_type, *others]
    if parent is not None and plot_type.pk not in parent.covered_type_ids():
        raise ValidationError("a parent model must cover the same plot type")
    fingerprint = data_fingerprint(covered)
    if not force:
        candidates = ClassifierModel.objects.filter(
            plot_type=plot_type,
            fingerprint=fingerprint,
            status__in=[ClassifierModel.Status.READY, ClassifierModel.Status.QUEUED, ClassifierModel.Status.TRAINING],
        ).order_by("-version")
        wanted = sorted(t.pk for t in covered)
        for existing in candidates:
            if _same_run(existing, hp, parent) and existing.covered_type_ids() == wanted:
                return TrainingRequest(unchanged=existing)
    with transaction.atomic():
        model = _create_versioned(plot_type, hp, parent, fingerprint, user)
        if others:
            model.plot_types.add(*covered)
        more = f" + {len(others)} more" if others else ""
        job = enqueue(
            train_model,
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


def activate(model: ClassifierModel, user=None, note: str = "", check: bool = True, plot_types=None) -> Activation:
    """Make ``model`` the active model of its plot types (all it covers, or ``plot_types``).

    Each activation is logged: who, when, and which model it replaced. Returns the log entry
    of the model's own plot type (or of the first one activated). By hand (``check``), a model the
    activation gate found worse needs a reason in ``note`` (``apps.monitoring.gating``).
    """
    from apps.monitoring import gating

    if check and not can_activate(user):
        raise PermissionDenied("Activating a model needs the permission monitoring.activate_model.")
    override = check and gating.found_worse(model)
    if check:
        note = gating.check_manual(model, note)
    if model.status != ClassifierModel.Status.READY:
        raise ValidationError(f"only a ready model can be activated; {model} is {model.status}")
    covered = model.covered_type_ids()
    wanted = covered if plot_types is None else [getattr(t, "pk", t) for t in plot_types]
    if any(t not in covered for t in wanted):
        raise ValidationError(f"{model} was not trained for every plot type asked for")
    who = user if user is not None and user.is_authenticated else None
    entries = []
    with transaction.atomic():
        for type_id in wanted:
            current = ActiveModel.objects.select_for_update().filter(plot_type_id=type_id).first()
            previous = current.model if current else None
            ActiveModel.objects.update_or_create(plot_type_id=type_id, defaults={"model": model, "activated_by": who})
            entries.append(
                Activation.objects.create(
                    plot_type_id=type_id, model=model, previous=previous, user=who, note=note[:200]
                )
            )
            record(
                who,
                AuditEntry.Action.ACTIVATE_MODEL,
                model,
                plot_type=type_id,
                previous=previous.pk if previous else None,
                note=note[:200],
                **({"override": gating.why_worse(model)[:500]} if override else {}),
            )
            publish_on_commit(
                "verdicts",
                "verdicts.model",
                {
                    "plot_type": type_id,
                    "model": model.pk,
                    "name": model.name,
                    "previous": previous.pk if previous else None,
                    "by": who.get_username() if who else None,
                },
            )
    own = [e for e in entries if e.plot_type_id == model.plot_type_id]
    return (own or entries)[0]


def deactivate(plot_type: PlotType, user=None, note: str = "") -> Activation | None:
    """Leave ``plot_type`` without a model (its plots show "no model"); logged like an activation."""
    if not can_activate(user):
        raise PermissionDenied("Deactivating a model needs the permission monitoring.activate_model.")
    current = ActiveModel.objects.filter(plot_type=plot_type).select_related("model").first()
    if current is None:
        return None
    current.delete()
    who = user if user is not None and user.is_authenticated else None
    record(who, AuditEntry.Action.RETIRE_MODEL, current.model, plot_type=plot_type.pk, note=note[:200])
    return Activation.objects.create(plot_type=plot_type, model=None, previous=current.model, user=who, note=note)


def set_threshold(model: ClassifierModel, class_name: str, value: float, user) -> dict:
    """A permitted user sets one class's threshold; the entry records who and when."""
    if not can_edit_thresholds(user):
        raise PermissionDenied("Changing thresholds needs the permission monitoring.change_classifiermodel.")
    if class_name not in (model.label_map or []):
        raise ValidationError(f"{model} has no class {class_name!r}")
    try:
        value = round(float(value), 4)
    except (TypeError, ValueError):
        raise ValidationError("a threshold is a number between 0 and 1") from None
    if not 0 <= value <= 1:
        raise ValidationError("a threshold is a number between 0 and 1")
    thresholds = dict(model.thresholds or {})
    thresholds[class_name] = {
        "value": value,
        "set_by": "user",
        "user": user.get_username(),
        "at": timezone.now().isoformat(timespec="seconds"),
        "previous": (thresholds.get(class_name) or {}).get("value"),
    }
    model.thresholds = thresholds
    model.save(update_fields=["thresholds"])
    record(
        user,
        AuditEntry.Action.EDIT_THRESHOLDS,
        model,
        label_class=class_name,
        value=value,
        previous=thresholds[class_name]["previous"],
    )
    return thresholds[class_name]


def active_model_ids(plot_type_ids) -> dict[int, int]:
    """``{plot type id: active model id}`` for the given plot types."""
    return dict(
        ActiveModel.objects.filter(
            plot_type_id__in=set(plot_type_ids), model__status=ClassifierModel.Status.READY
        ).values_list("plot_type_id", "model_id")
    )


# Plots per classification job when a plot type's unclassified plots are queued at once.
CLASSIFY_CHUNK = 2000


def queue_unclassified(type_ids, *, user=None) -> list:
    """Queue classification of every plot of ``type_ids`` without a verdict (jobs of CLASSIFY_CHUNK plots)."""
    from apps.jobs.runner import enqueue
    from apps.monitoring.tasks import classify_plots

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
                enqueue(
                    classify_plots, kind="classify", title=f"Classify {len(chunk)} plots", user=user, plot_ids=chunk
                )
            )
    return jobs


def queue_classification(plots, *, user=None, title: str = ""):
    """Queue classification of ``plots`` whose plot type has an active model; return the job or None."""
    from apps.jobs.runner import enqueue
    from apps.monitoring.tasks import classify_plots

    plots = [p for p in plots if p.pk is not None]
    active = active_model_ids({p.plot_type_id for p in plots})
    ids = [p.pk for p in plots if p.plot_type_id in active]
    if not ids:
        return None
    return enqueue(
        classify_plots, kind="classify", title=title or f"Classify {len(ids)} new plots", user=user, plot_ids=ids
    )
