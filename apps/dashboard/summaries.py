"""The dashboard's figures, each a query that stays cheap at tens of millions of plots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from apps.experiments.models import Experiment, Run
from apps.labels import counters as label_counts
from apps.labels.choices import Meaning
from apps.labels.models import LabelClass
from apps.plots import counters as plot_counts
from apps.plots.models import Plot, PlotType

UNLABELED_COLOUR = "#d9dee5"


@dataclass
class ExperimentSummary:
    """One row of the slides' summary table."""

    experiment: Experiment
    total: int = 0
    labeled: int = 0
    by_class: list[tuple[str, int, str]] = field(default_factory=list)
    hourly: list[int] = field(default_factory=lambda: [0] * 24)
    bad_runs: int = 0
    # Distinct active models over the experiment's plot types, and plots with a verdict.
    active_models: int = 0
    classified: int = 0
    # Model verdicts of a Bad class, and the runs with at least one.
    bad_verdicts: int = 0
    bad_verdict_runs: int = 0

    @property
    def last_day(self) -> int:
        return sum(self.hourly)

    @property
    def per_hour(self) -> float:
        return self.last_day / 24


def first_id_since(cutoff: datetime) -> int | None:
    """Smallest plot id ingested at or after ``cutoff``, or None.

    ``ingested_at`` has no index, but ids grow with it; a binary search over the primary key
    finds the boundary in about log2(ids) point lookups instead of a full table scan.
    """
    bounds = Plot.objects.aggregate(lo=Min("id"), hi=Max("id"))
    lo, hi = bounds["lo"], bounds["hi"]
    if hi is None:
        return None

    def first_at_or_after(pk: int):
        return Plot.objects.filter(pk__gte=pk).order_by("pk").values_list("ingested_at", flat=True).first()

    if first_at_or_after(hi) < cutoff:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if first_at_or_after(mid) >= cutoff:
            hi = mid
        else:
            lo = mid + 1
    return lo


def hour_slots(now: datetime) -> list[datetime]:
    """The 24 whole hours ending with the current one, oldest first."""
    current = now.replace(minute=0, second=0, microsecond=0)
    return [current - timedelta(hours=23 - i) for i in range(24)]


def summaries(experiments: list[Experiment], now: datetime | None = None) -> list[ExperimentSummary]:
    """The summary table for ``experiments``, in a fixed number of queries, kept PAGE_CACHE_SECONDS for now."""
    if now is not None or not settings.PAGE_CACHE_SECONDS:
        return _summaries(experiments, now or timezone.now())
    key = "dashboard-summaries:" + ",".join(str(e.pk) for e in experiments)
    rows = cache.get(key)
    if rows is None:
        rows = _summaries(experiments, timezone.now())
        cache.set(key, rows, settings.PAGE_CACHE_SECONDS)
    return rows


def _summaries(experiments: list[Experiment], now: datetime) -> list[ExperimentSummary]:
    rows = {e.pk: ExperimentSummary(e) for e in experiments}
    if not rows:
        return []
    ids = list(rows)
    classes = _plot_and_label_totals(rows, ids)
    type_ids = _model_counts(rows, ids)
    bad_classes = [c for c in classes if c.meaning == Meaning.BAD]
    _bad_verdicts(rows, type_ids, bad_classes)
    _bad_runs(rows, bad_classes)
    _hourly_counts(rows, ids, now)
    return [rows[e.pk] for e in experiments]


def _plot_and_label_totals(rows: dict[int, ExperimentSummary], ids: list[int]) -> list[LabelClass]:
    """Plots, labeled plots and plots per class (Unlabeled last) per experiment; returns the label classes."""
    # Totals from the per-plot-type counters that ingest, upload and delete keep: counting the
    # plots themselves took 90 ms at a million rows, and grows with them.
    for exp_id, n in plot_counts.per_experiment(ids).items():
        rows[exp_id].total = n
    # Labeled plots per class from the label counters that labeling keeps (a COUNT over the label index
    # grows with the labeled plots: over 1.3 million at Hall D's scale).
    classes = list(LabelClass.objects.filter(experiment_id__in=ids).order_by("experiment_id", "order", "name"))
    per_class = label_counts.per_class(ids)
    for cls in classes:
        n = per_class.get(cls.pk, 0)
        rows[cls.experiment_id].labeled += n
        rows[cls.experiment_id].by_class.append((cls.name, n, cls.colour))
    for row in rows.values():
        row.by_class.append(("Unlabeled", max(row.total - row.labeled, 0), UNLABELED_COLOUR))
    return classes


def _model_counts(rows: dict[int, ExperimentSummary], ids: list[int]) -> list[int]:
    """Active models and classified plots per experiment; returns the experiments' plot type ids."""
    # Models and verdicts, through the plot type's reverse relations (no import of the monitoring app).
    experiment_of_type = dict(PlotType.objects.filter(experiment_id__in=ids).values_list("id", "experiment_id"))
    models: dict[int, set[int]] = {}
    for type_id, model_id in PlotType.objects.filter(pk__in=experiment_of_type, active_model__isnull=False).values_list(
        "id", "active_model__model_id"
    ):
        models.setdefault(experiment_of_type[type_id], set()).add(model_id)
    for exp_id, found in models.items():
        rows[exp_id].active_models = len(found)
    # Classified plots per plot type off the (plot type, verdict class, ...) index.
    for type_id, n in (
        Plot.objects.filter(plot_type_id__in=list(experiment_of_type), verdict_class__isnull=False)
        .values_list("plot_type_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        rows[experiment_of_type[type_id]].classified += n
    return list(experiment_of_type)


def _bad_runs(rows: dict[int, ExperimentSummary], bad_classes: list[LabelClass]) -> None:
    """Runs with a plot labeled in a Bad class, per experiment."""
    if not bad_classes:
        return
    # Distinct run numbers per Bad class, counted by the database off the (label_class,
    # run_number, id) index alone (no rows sent back); a class belongs to one experiment and a
    # run number is unique in it. Several Bad classes in one experiment are counted together.
    by_experiment: dict[int, list[int]] = {}
    for cls in bad_classes:
        by_experiment.setdefault(cls.experiment_id, []).append(cls.pk)
    for exp_id, cls_ids in by_experiment.items():
        rows[exp_id].bad_runs = (
            Plot.objects.filter(label_class_id__in=cls_ids)
            .order_by()
            .aggregate(n=Count("run_number", distinct=True))["n"]
        )


def _hourly_counts(rows: dict[int, ExperimentSummary], ids: list[int], now: datetime) -> None:
    """Plots ingested per experiment in each of the 24 hours ending with the current one."""
    slots = hour_slots(now)
    boundary = first_id_since(slots[0])
    if boundary is None:
        return
    index = {slot: i for i, slot in enumerate(slots)}
    hourly = (
        Plot.objects.filter(pk__gte=boundary, experiment_id__in=ids)
        .annotate(hour=TruncHour("ingested_at"))
        .values_list("experiment_id", "hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    for exp_id, hour, n in hourly:
        if hour is not None and timezone.is_naive(hour):
            hour = timezone.make_aware(hour, timezone.get_current_timezone())
        i = index.get(hour)
        if i is not None:
            rows[exp_id].hourly[i] += n


def _bad_verdicts(rows: dict[int, ExperimentSummary], type_ids: list[int], bad_classes: list[LabelClass]) -> None:
    """Bad verdicts and the runs with one, per experiment, off the (plot type, verdict class, run) index.

    One grouped query counts both per Bad class; a class belongs to one experiment, so that is
    exact unless an experiment has several Bad classes, whose runs are then counted once more together.
    """
    if not bad_classes or not type_ids:
        return
    experiment_of = {c.pk: c.experiment_id for c in bad_classes}
    counts = (
        Plot.objects.filter(plot_type_id__in=type_ids, verdict_class_id__in=list(experiment_of))
        .values_list("verdict_class_id")
        .annotate(n=Count("id"), runs=Count("run_number", distinct=True))
        .order_by()
    )
    for cls_id, n, runs in counts:
        rows[experiment_of[cls_id]].bad_verdicts += n
        rows[experiment_of[cls_id]].bad_verdict_runs += runs
    for exp_id in {e for e in experiment_of.values() if list(experiment_of.values()).count(e) > 1}:
        classes = [pk for pk, e in experiment_of.items() if e == exp_id]
        rows[exp_id].bad_verdict_runs = (
            Plot.objects.filter(plot_type_id__in=type_ids, verdict_class_id__in=classes)
            .values("run_number")
            .distinct()
            .count()
        )


def bad_class_ids(experiment: Experiment) -> list[int]:
    return list(LabelClass.objects.filter(experiment=experiment, meaning=Meaning.BAD).values_list("id", flat=True))


def latest_runs(experiment: Experiment, bad_ids: list[int], limit: int = 8) -> list[dict]:
    """The newest runs with their plot, labeled and Bad counts (two queries)."""
    runs = list(Run.objects.filter(experiment=experiment).prefetch_related("run_period").order_by("-number")[:limit])
    counts = {
        row["run_id"]: row
        for row in Plot.objects.filter(run_id__in=[r.pk for r in runs])
        .values("run_id")
        .annotate(
            plots=Count("id"),
            labeled=Count("label_class"),
            bad=Count("id", filter=Q(label_class_id__in=bad_ids)),
        )
        .order_by()
    }
    return [{"run": r, **counts.get(r.pk, {"plots": 0, "labeled": 0, "bad": 0})} for r in runs]


def latest_bad_plots(experiment: Experiment, bad_ids: list[int], limit: int = 8) -> list[Plot]:
    if not bad_ids:
        return []
    return list(
        Plot.objects.filter(experiment=experiment, label_class_id__in=bad_ids)
        .select_related("label_class")
        .prefetch_related("plot_type", "campaign")
        .order_by("-run_number", "-id")[:limit]
    )
