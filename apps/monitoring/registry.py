"""The model registry: which model is active for each plot type, who activated it, and its thresholds.

Every change is logged (an Activation row and an audit entry) and announced on the verdicts channel.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.audit import record
from apps.audit.models import AuditEntry
from apps.core.events import publish_on_commit
from apps.monitoring.models import Activation, ActiveModel, ClassifierModel
from apps.monitoring.permissions import can_activate, can_edit_thresholds
from apps.plots.models import PlotType


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
