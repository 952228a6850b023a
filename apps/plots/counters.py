"""Plots per plot type (``PlotCount``), kept by ingest, upload and delete; rebuilt by ``manage.py recount``.

A plot saved one at a time is counted by ``post_save``; the plots of a bulk insert arrive with
``plots_ingested``, sent in the inserting transaction, and those not counted yet are added there.
Deletes subtract in the deleting transaction (``post_delete``), so a rolled-back change leaves
the counters as they were.
"""

from __future__ import annotations

from collections import Counter

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.plots.models import Plot, PlotCount, PlotType
from apps.plots.signals import plots_ingested


def add(changes: dict[tuple[int, int], int]) -> None:
    """Add ``n`` (negative to subtract) for each ``(experiment id, plot type id)``."""
    for (experiment_id, type_id), n in sorted(changes.items(), key=lambda item: item[0][1]):
        if not n:
            continue
        if PlotCount.objects.filter(plot_type_id=type_id).update(plots=F("plots") + n):
            continue
        try:
            with transaction.atomic():
                PlotCount.objects.create(plot_type_id=type_id, experiment_id=experiment_id, plots=n)
        except IntegrityError:
            # Another transaction created the row meanwhile: add to it.
            PlotCount.objects.filter(plot_type_id=type_id).update(plots=F("plots") + n)


def per_experiment(experiment_ids) -> dict[int, int]:
    """Plots per experiment from the counters (a few hundred rows at most, never the plots table)."""
    rows = (
        PlotCount.objects.filter(experiment_id__in=list(experiment_ids))
        .values_list("experiment_id")
        .annotate(n=Sum("plots"))
        .order_by()
    )
    return {exp_id: int(n or 0) for exp_id, n in rows}


def recount(plot_types=None) -> list[tuple[PlotType, int, int]]:
    """Set each plot type's counter to the number of its plots; ``(plot type, before, after)`` where they differed.

    Each plot type is counted with its counter row locked, so an ingest running meanwhile either
    finished before (and is counted) or adds its plots after.
    """
    changed = []
    types = PlotType.objects.all() if plot_types is None else plot_types
    for plot_type in types.order_by("pk") if hasattr(types, "order_by") else types:
        with transaction.atomic():
            row, _ = PlotCount.objects.select_for_update().get_or_create(
                plot_type_id=plot_type.pk, defaults={"experiment_id": plot_type.experiment_id}
            )
            actual = Plot.objects.filter(plot_type_id=plot_type.pk).count()
            if row.plots != actual or row.experiment_id != plot_type.experiment_id:
                changed.append((plot_type, row.plots, actual))
                PlotCount.objects.filter(pk=row.pk).update(plots=actual, experiment_id=plot_type.experiment_id)
    return changed


def counts_by_type() -> dict[int, int]:
    """Plots per plot type straight from the plots table (for checks and tests)."""
    return dict(Plot.objects.values_list("plot_type_id").annotate(n=Count("id")).order_by())


@receiver(post_save, sender=Plot)
def count_saved_plot(sender, instance: Plot, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        instance._counted = True
        add({(instance.experiment_id, instance.plot_type_id): 1})


@receiver(plots_ingested)
def count_ingested_plots(sender, plots, **kwargs):
    fresh = [p for p in plots if not getattr(p, "_counted", False)]
    for plot in fresh:
        plot._counted = True
    add(Counter((p.experiment_id, p.plot_type_id) for p in fresh))


@receiver(post_delete, sender=Plot)
def uncount_deleted_plot(sender, instance: Plot, **kwargs):
    add({(instance.experiment_id, instance.plot_type_id): -1})
