"""What the runtime and log pages show, each built in a fixed number of queries.

Runtime: one card per plot type with its newest plot and that plot's verdict. Log: the Bad
or unconfirmed verdicts of a trailing window, grouped by plot type, with the start and the
end of each streak marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.bad_input import reject_out_of_range
from apps.experiments.production import special_run_ids
from apps.labels.choices import Meaning
from apps.monitoring.filtersets import ClassificationFilterSet
from apps.monitoring.models import ActiveModel, Classification
from apps.plots.models import Plot, PlotGroup, PlotType

LOG_WINDOWS = (1, 6, 12, 24, 48, 72, 168)
DEFAULT_WINDOW_HOURS = 24
MAX_LOG_ROWS = 2000


@dataclass
class Card:
    plot_type: PlotType
    plot: Plot | None
    model: object | None
    gradcam: str = ""
    group_ids: list[int] = field(default_factory=list)
    bad_since: int | None = None  # the first run of the Bad streak the newest plot is in
    special: bool = False  # the newest plot's run is outside the production conditions: shown muted

    @property
    def is_special(self) -> bool:
        return self.special

    @property
    def state(self) -> str:
        """no-model, pending (newest plot not classified yet), bad, unconfirmed or ok."""
        if self.model is None:
            return "no-model"
        if self.plot is None or self.plot.verdict_class_id is None:
            return "pending"
        if self.plot.verdict_class.meaning == Meaning.BAD:
            return "bad"
        return "ok" if self.plot.verdict_confirmed else "unconfirmed"

    @property
    def gradcam_url(self) -> str:
        from apps.plots.models import media_url

        return media_url(self.gradcam) if self.gradcam else ""

    @property
    def is_bad(self) -> bool:
        return self.state == "bad"


def group_closure(experiment) -> tuple[list[PlotGroup], dict[int, list[int]]]:
    """The experiment's groups, and for each plot type every group it is in, directly or below."""
    groups = list(PlotGroup.objects.filter(experiment=experiment).order_by("name"))
    ids = {g.pk for g in groups}
    parents: dict[int, set[int]] = {}
    for child, parent in PlotGroup.parents.through.objects.filter(from_plotgroup_id__in=ids).values_list(
        "from_plotgroup_id", "to_plotgroup_id"
    ):
        parents.setdefault(child, set()).add(parent)

    def above(pk: int) -> set[int]:
        seen, frontier = {pk}, {pk}
        while frontier:
            frontier = {p for g in frontier for p in parents.get(g, ())} - seen
            seen |= frontier
        return seen

    by_type: dict[int, set[int]] = {}
    for group_id, type_id in PlotGroup.plot_types.through.objects.filter(plotgroup_id__in=ids).values_list(
        "plotgroup_id", "plottype_id"
    ):
        by_type.setdefault(type_id, set()).update(above(group_id))
    return groups, {t: sorted(g) for t, g in by_type.items()}


def runtime_cards(experiment, plot_type_ids=None) -> list[Card]:
    """One card per shown plot type of ``experiment`` (or only ``plot_type_ids``)."""
    if experiment is None:
        return []
    newest = Plot.objects.filter(plot_type=OuterRef("pk")).order_by("-id").values("id")[:1]
    types = PlotType.objects.filter(experiment=experiment, ignored=False).order_by("name")
    if plot_type_ids is not None:
        types = types.filter(pk__in=plot_type_ids)
    types = list(types.annotate(newest_plot=Subquery(newest)))
    gradcam = Classification.objects.filter(plot=OuterRef("pk")).order_by("-id").values("gradcam")[:1]
    plots = {
        p.plot_type_id: p
        for p in Plot.objects.filter(pk__in=[t.newest_plot for t in types if t.newest_plot])
        .select_related("verdict_class", "campaign")
        .annotate(gradcam=Subquery(gradcam))
    }
    active = {a.plot_type_id: a.model for a in ActiveModel.objects.filter(plot_type__in=types).select_related("model")}
    _, closure = group_closure(experiment)
    cards = []
    for t in types:
        plot = plots.get(t.pk)
        cards.append(Card(t, plot, active.get(t.pk), getattr(plot, "gradcam", "") or "", closure.get(t.pk, [])))
    starts = bad_streak_starts([c.plot.pk for c in cards if c.is_bad])
    special = special_run_ids(experiment, [c.plot.run_id for c in cards if c.plot is not None])
    for c in cards:
        c.bad_since = starts.get(c.plot.pk) if c.is_bad else None
        c.special = c.plot is not None and c.plot.run_id in special
    return cards


def bad_streak_starts(plot_ids) -> dict[int, int]:
    """For each Bad plot, the first run of its Bad streak (same plot type and campaign), in one query.

    The streak starts after the newest run with a verdict other than Bad. Only the Bad cards of a
    runtime page ask, and each look-up stays within one plot type on its (plot type, run) index.
    """
    if not plot_ids:
        return {}
    same_series = {"plot_type_id": OuterRef(OuterRef("plot_type_id")), "campaign_id": OuterRef(OuterRef("campaign_id"))}
    last_other = (
        Plot.objects.filter(
            **same_series, verdict_class__isnull=False, run_number__lte=OuterRef(OuterRef("run_number"))
        )
        .exclude(verdict_class__meaning=Meaning.BAD)
        .order_by("-run_number")
        .values("run_number")[:1]
    )
    first_bad = (
        Plot.objects.filter(
            plot_type_id=OuterRef("plot_type_id"),
            campaign_id=OuterRef("campaign_id"),
            verdict_class__meaning=Meaning.BAD,
            run_number__lte=OuterRef("run_number"),
            run_number__gt=Coalesce(Subquery(last_other), Value(-1)),
        )
        .order_by("run_number")
        .values("run_number")[:1]
    )
    rows = Plot.objects.filter(pk__in=plot_ids).annotate(since=Subquery(first_bad)).values_list("pk", "since")
    return {pk: since for pk, since in rows if since is not None}


@dataclass
class LogRow:
    row: Classification
    state: str
    starts: bool = False
    ends: bool = False


@dataclass
class LogGroup:
    plot_type: PlotType
    rows: list[LogRow]

    @property
    def bad_count(self) -> int:
        return sum(r.state == "bad" for r in self.rows)


def _state(meaning: str, confirmed: bool) -> str:
    if meaning == Meaning.BAD:
        return "bad"
    return "ok" if confirmed else "unconfirmed"


def window_hours(raw) -> int:
    try:
        hours = int(raw)
    except (TypeError, ValueError):
        return DEFAULT_WINDOW_HOURS
    return max(1, min(hours, max(LOG_WINDOWS)))


def monitoring_log(experiment, params, hours: int = DEFAULT_WINDOW_HOURS):
    """(filterset, groups, truncated) for the log page: Bad or unconfirmed verdicts in the window."""
    since = timezone.now() - timedelta(hours=hours)
    base = Classification.objects.filter(created_at__gte=since).filter(
        Q(verdict_class__meaning=Meaning.BAD) | Q(confirmed=False)
    )
    if experiment is not None:
        base = base.filter(plot_type__experiment=experiment)
    filterset = ClassificationFilterSet(params, queryset=base)
    if not filterset.is_valid():
        reject_out_of_range(filterset.form)
        return filterset, [], False
    rows = list(
        filterset.qs.select_related("plot_type", "verdict_class", "plot__campaign", "model").order_by(
            "plot_type__name", "-created_at", "-id"
        )[: MAX_LOG_ROWS + 1]
    )
    truncated = len(rows) > MAX_LOG_ROWS
    rows = rows[:MAX_LOG_ROWS]
    # Streaks are read from every verdict of these plot types in the window, not only the
    # filtered ones: a Bad verdict after a Good one starts a streak whatever the filter shows.
    sequence: dict[int, list[tuple[int, str]]] = {}
    for type_id, pk, meaning, confirmed in (
        Classification.objects.filter(created_at__gte=since, plot_type_id__in={r.plot_type_id for r in rows})
        .order_by("plot_type_id", "created_at", "id")
        .values_list("plot_type_id", "id", "verdict_class__meaning", "confirmed")
    ):
        sequence.setdefault(type_id, []).append((pk, _state(meaning, confirmed)))
    neighbours: dict[int, tuple[str | None, str | None]] = {}
    for items in sequence.values():
        for i, (pk, _) in enumerate(items):
            before = items[i - 1][1] if i > 0 else None
            after = items[i + 1][1] if i + 1 < len(items) else None
            neighbours[pk] = (before, after)
    groups: dict[int, LogGroup] = {}
    for row in rows:
        state = _state(row.verdict_class.meaning, row.confirmed)
        before, after = neighbours.get(row.pk, (None, None))
        entry = LogRow(row, state, starts=before != state, ends=after is not None and after != state)
        groups.setdefault(row.plot_type_id, LogGroup(row.plot_type, [])).rows.append(entry)
    return filterset, list(groups.values()), truncated
