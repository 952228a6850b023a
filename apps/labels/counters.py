"""Plots per (plot type, label class) (``LabelCount``): kept where labels change, rebuilt by ``manage.py recount``."""

from __future__ import annotations

from collections import Counter

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.db.models.signals import post_delete
from django.dispatch import receiver

from apps.labels.models import LabelCount
from apps.plots.models import Plot, PlotType


def current_classes(plot_ids) -> dict[int, tuple[int, int, int | None]]:
    """``{plot id: (experiment, plot type, label class)}`` read with the plots locked until the transaction ends.

    Labeling reads the classes it replaces here, so two labelers of one plot count it once.
    """
    rows = Plot.objects.select_for_update().filter(pk__in=list(plot_ids)).order_by("pk")
    return {pk: (e, t, c) for pk, e, t, c in rows.values_list("pk", "experiment_id", "plot_type_id", "label_class_id")}


def relabel(before: dict[int, tuple[int, int, int | None]], after: dict[int, int | None]) -> None:
    """Apply the change of each plot's class from ``before`` (``current_classes``) to ``after``."""
    changes: Counter = Counter()
    for pk, new in after.items():
        if pk not in before:
            continue
        experiment, plot_type, old = before[pk]
        if old == new:
            continue
        if old is not None:
            changes[(experiment, plot_type, old)] -= 1
        if new is not None:
            changes[(experiment, plot_type, new)] += 1
    add(changes)


def add(changes) -> None:
    """Add ``n`` for each ``(experiment, plot type, label class)``; rows are touched in one order (no deadlock)."""
    for (experiment_id, type_id, class_id), n in sorted(changes.items()):
        if not n:
            continue
        row = LabelCount.objects.filter(plot_type_id=type_id, label_class_id=class_id)
        if row.update(plots=F("plots") + n):
            continue
        try:
            with transaction.atomic():
                LabelCount.objects.create(
                    plot_type_id=type_id, label_class_id=class_id, experiment_id=experiment_id, plots=n
                )
        except IntegrityError:
            row.update(plots=F("plots") + n)


def per_class(experiment_ids) -> dict[int, int]:
    """Labeled plots per label class of ``experiment_ids``, from the counters."""
    rows = (
        LabelCount.objects.filter(experiment_id__in=list(experiment_ids))
        .values_list("label_class_id")
        .annotate(n=Sum("plots"))
        .order_by()
    )
    return {cls: int(n or 0) for cls, n in rows}


def recount(plot_types=None) -> list[tuple[PlotType, int, int, int]]:
    """Rebuild the counters of ``plot_types`` (all by default); ``(plot type, class, before, after)`` that differed."""
    changed = []
    types = PlotType.objects.all() if plot_types is None else plot_types
    for plot_type in types.order_by("pk"):
        with transaction.atomic():
            held = {
                r.label_class_id: r
                for r in LabelCount.objects.select_for_update().filter(plot_type_id=plot_type.pk).order_by("pk")
            }
            actual = dict(
                Plot.objects.filter(plot_type_id=plot_type.pk, label_class__isnull=False)
                .values_list("label_class_id")
                .annotate(n=Count("id"))
                .order_by()
            )
            for class_id in sorted(set(held) | set(actual)):
                before, after = (held[class_id].plots if class_id in held else 0), actual.get(class_id, 0)
                if before == after:
                    continue
                changed.append((plot_type, class_id, before, after))
                if class_id in held:
                    LabelCount.objects.filter(pk=held[class_id].pk).update(plots=after)
                else:
                    LabelCount.objects.create(
                        plot_type_id=plot_type.pk,
                        label_class_id=class_id,
                        experiment_id=plot_type.experiment_id,
                        plots=after,
                    )
    return changed


@receiver(post_delete, sender=Plot, dispatch_uid="labels.uncount_deleted_plot")
def uncount_deleted_plot(sender, instance: Plot, **kwargs):
    if instance.label_class_id is not None:
        add({(instance.experiment_id, instance.plot_type_id, instance.label_class_id): -1})
