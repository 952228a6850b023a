"""Saving labels: one transaction for a whole batch, history kept, current label updated."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.events import publish_on_commit
from apps.labels.models import Label, LabelClass
from apps.labels.permissions import labelable_plot_type_ids


def valid_class_ids(plot_types) -> dict[int, set[int]]:
    """Map plot type id → ids of the label classes valid for it (two queries for any number of types)."""
    from apps.plots.models import PlotType

    plot_types = list(plot_types)
    chosen: dict[int, set[int]] = {pt.pk: set() for pt in plot_types}
    through = PlotType.label_classes.through
    for pt_id, cls_id in through.objects.filter(plottype_id__in=chosen).values_list("plottype_id", "labelclass_id"):
        chosen[pt_id].add(cls_id)
    experiments = {pt.experiment_id for pt in plot_types}
    by_experiment: dict[int, set[int]] = {e: set() for e in experiments}
    for cls_id, exp_id in LabelClass.objects.filter(experiment_id__in=experiments).values_list("id", "experiment_id"):
        by_experiment[exp_id].add(cls_id)
    return {pt.pk: chosen[pt.pk] or by_experiment[pt.experiment_id] for pt in plot_types}


def apply_labels(
    pairs: Iterable[tuple],
    *,
    user=None,
    comment: str = "",
    check_permission: bool = False,
) -> list[Label]:
    """Label each (plot, label class) pair; all or nothing.

    Raises ValidationError when a class is not valid for a plot's type and PermissionDenied
    when ``check_permission`` is set and ``user`` may not label one of the plot types.
    """
    pairs = list(pairs)
    if not pairs:
        return []
    _check_pairs(pairs, user, check_permission)
    overwritten = [
        {"plot": plot.pk, "from": plot.label_class_id, "to": cls.pk}
        for plot, cls in pairs
        if plot.label_class_id is not None and plot.label_class_id != cls.pk
    ]
    now = timezone.now()
    labels = [Label(plot=plot, label_class=cls, user=user, comment=comment[:500]) for plot, cls in pairs]
    with transaction.atomic():
        created = _save_labels(pairs, labels, now)
        if overwritten:
            from apps.audit import record
            from apps.audit.models import AuditEntry

            record(user, AuditEntry.Action.OVERWRITE_LABELS, None, count=len(overwritten), changes=overwritten[:500])
    publish_on_commit(
        "labels",
        "labels.saved",
        {
            "user": user.get_username() if user else None,
            "labels": [{"plot": plot.pk, "class": cls.name, "colour": cls.colour} for plot, cls in pairs],
        },
    )
    return created


def _check_pairs(pairs: list[tuple], user, check_permission: bool) -> None:
    """Raise ValidationError for a class not valid for its plot's type, PermissionDenied for a type ``user``
    may not label (with ``check_permission``)."""
    plot_types = {plot.plot_type_id: plot.plot_type for plot, _ in pairs}
    valid = valid_class_ids(plot_types.values())
    for plot, cls in pairs:
        if cls.pk not in valid[plot.plot_type_id]:
            raise ValidationError(f"{cls.name} is not a valid class for {plot.plot_type.name}")
    if check_permission:
        allowed = labelable_plot_type_ids(user, plot_types)
        refused = sorted(plot_types[pt].name for pt in plot_types if pt not in allowed)
        if refused:
            raise PermissionDenied(f"you may not label {', '.join(refused)}")


def _save_labels(pairs: list[tuple], labels: list[Label], now) -> list[Label]:
    """Store the history rows and the plots' current labels, and keep the label counters; inside a transaction."""
    from apps.labels import counters
    from apps.plots.models import Plot

    before = counters.current_classes({plot.pk for plot, _ in pairs})
    created = Label.objects.bulk_create(labels)
    # A plot given twice ends with its last class, like its newest history row.
    last = {}
    for plot, cls in pairs:
        last[plot.pk] = cls
        plot.label_class, plot.labeled_at = cls, now
    counters.relabel(before, {pk: cls.pk for pk, cls in last.items()})
    by_class: dict[int, list[int]] = {}
    for plot_id, cls in last.items():
        by_class.setdefault(cls.pk, []).append(plot_id)
    # One UPDATE per class, not one per plot.
    for cls_id, plot_ids in by_class.items():
        Plot.objects.filter(pk__in=plot_ids).update(label_class_id=cls_id, labeled_at=now)
    return created


def erase_labels(plots, *, user=None) -> int:
    """Clear the current label of ``plots`` (history is kept). Returns how many were cleared."""
    from apps.plots.models import Plot

    ids = [p.pk for p in plots]
    from apps.labels import counters

    with transaction.atomic():
        before = counters.current_classes(ids)
        count = Plot.objects.filter(pk__in=ids, label_class__isnull=False).update(label_class=None, labeled_at=None)
        counters.relabel(before, dict.fromkeys(ids))
        if count:
            from apps.audit import record
            from apps.audit.models import AuditEntry

            record(user, AuditEntry.Action.ERASE_LABELS, None, count=count, plots=ids[:500])
    publish_on_commit("labels", "labels.erased", {"user": user.get_username() if user else None, "plots": ids})
    return count
