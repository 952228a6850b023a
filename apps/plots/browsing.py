"""The plot browser's state, read from the URL: filters (PlotFilterSet), sort, page size, view, cursor.

Malformed values never fail the page: each is dropped with a message saying what was ignored;
only an integer too large for the database is refused (400), as the API refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict

from apps.core.bad_input import reject_out_of_range
from apps.core.pagination import BadCursor, Page, paginate
from apps.experiments.models import Campaign, Experiment, RunPeriod
from apps.labels.models import LabelClass
from apps.plots.filtersets import DEFAULT_SORT, SORTS, PlotFilterSet
from apps.plots.models import Plot, PlotGroup, PlotType

PAGE_SIZES = (24, 60, 120, 240)
DEFAULT_SIZE = 60
VIEWS = ("grid", "list")
SORT_LABELS = {
    "-run": "Run, newest first",
    "run": "Run, oldest first",
    "-ingested": "Ingested, newest first",
    "ingested": "Ingested, oldest first",
    "plot_type": "Plot type, then run",
    "-confidence": "Confidence, highest first",
    "confidence": "Confidence, lowest first",
}
# The names the filter bar shows, for messages about a bad value.
FIELD_LABELS = {
    "experiment": "Experiment",
    "run_period": "Run period",
    "run_min": "From run",
    "run_max": "To run",
    "run": "Run",
    "conditions": "Run conditions",
    "campaign": "Campaign",
    "plot_type": "Plot type",
    "group": "Group",
    "detector": "Detector",
    "label": "Label",
    "verdict": "AI verdict",
    "confirmed": "Confirmation",
    "confidence_min": "Lowest confidence",
    "confidence_max": "Highest confidence",
    "sort": "Sort",
}
# Parameters that move through pages rather than describe what is shown.
PAGING = ("after", "before", "last")


@dataclass
class BrowserState:
    data: QueryDict
    filterset: PlotFilterSet
    experiment: Experiment | None
    sort: str
    size: int
    view: str
    problems: list[str] = field(default_factory=list)

    @property
    def order(self) -> tuple[str, ...]:
        return SORTS[self.sort]

    @property
    def filter_query(self) -> str:
        """The query string of everything but the page position (for live updates and 'first page')."""
        data = self.data.copy()
        for key in PAGING:
            data.pop(key, None)
        return data.urlencode()

    def url(self, **changes) -> str:
        """This view's query string with ``changes`` applied (None removes a key)."""
        data = self.data.copy()
        for key in PAGING:
            data.pop(key, None)
        for key, value in changes.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return "?" + data.urlencode()

    @property
    def on_first_page(self) -> bool:
        return not any(self.data.get(key) for key in PAGING)


def read_state(params: QueryDict, default_experiment: Experiment | None) -> BrowserState:
    """Validate the URL's parameters; drop each bad one with a message."""
    data = params.copy()
    problems: list[str] = []

    def scope() -> bool:
        # Every browser query is scoped to an experiment so that an index covers it.
        if not data.get("experiment") and default_experiment is not None and not data.get("plot_type"):
            data["experiment"] = default_experiment.slug
            return True
        return False

    scope()
    filterset = PlotFilterSet(data, queryset=Plot.objects.all())
    if not filterset.form.is_valid():
        # An id wider than the database is refused with a 400 page, as the API does; the rest is dropped.
        reject_out_of_range(filterset.form)
        for name, errors in filterset.form.errors.items():
            label = FIELD_LABELS.get(name, name.replace("_", " ").capitalize())
            shown = ", ".join(data.getlist(name)) or "(empty)"
            problems.append(f"{label} “{shown[:60]}” was ignored: {' '.join(errors)}")
            data.pop(name, None)
        scope()  # a dropped experiment or plot type falls back to the default experiment
        filterset = PlotFilterSet(data, queryset=Plot.objects.all())
        filterset.form.is_valid()
    experiment = filterset.form.cleaned_data.get("experiment")
    if experiment is None:
        types = filterset.form.cleaned_data.get("plot_type") or []
        experiment = types[0].experiment if types else default_experiment

    size = data.get("size")
    if size is None or size == "":
        size = DEFAULT_SIZE
    elif size.isdigit() and int(size) in PAGE_SIZES:
        size = int(size)
    else:
        problems.append(f"Page size “{size[:20]}” was ignored: use one of {', '.join(map(str, PAGE_SIZES))}.")
        data.pop("size")
        size = DEFAULT_SIZE
    view = data.get("view") or "grid"
    if view not in VIEWS:
        problems.append(f"View “{view[:20]}” was ignored: use grid or list.")
        data.pop("view")
        view = "grid"
    return BrowserState(
        data=data,
        filterset=filterset,
        experiment=experiment,
        sort=filterset.sort_key if filterset.sort_key in SORTS else DEFAULT_SORT,
        size=size,
        view=view,
        problems=problems,
    )


def browse(state: BrowserState) -> Page:
    """One page of plots by keyset: ``after``/``before`` a cursor, or the ``last`` page.

    Two steps: the page's ids come from the sort keys alone, which an index holds, so MySQL walks
    that index and stops after one page; then the rows and their relations are read by id. Asking
    for whole rows (or joining plot types, campaigns...) in the first step makes MySQL's optimizer
    pick plans that read or sort every matching plot.
    """
    keys = state.filterset.qs.values(*dict.fromkeys(["id", *(o.lstrip("-") for o in state.order)]))
    after, before = state.data.get("after"), state.data.get("before")
    try:
        if before:
            page = paginate(keys, state.order, before, state.size, backwards=True)
        elif state.data.get("last"):
            page = paginate(keys, state.order, None, state.size, backwards=True)
        else:
            page = paginate(keys, state.order, after or None, state.size)
    except BadCursor as exc:
        state.problems.append(f"The page position was ignored: {exc}.")
        for key in PAGING:
            state.data.pop(key, None)
        page = paginate(keys, state.order, None, state.size)
    ids = [row["id"] for row in page.rows]
    rows = (
        # By primary key, so joining the page's relations in the same query is cheap (one query, not four).
        Plot.objects.filter(pk__in=ids)
        .select_related("label_class", "verdict_class", "plot_type", "campaign", "run_period")
        .in_bulk()
        if ids
        else {}
    )
    page.rows = [rows[pk] for pk in ids if pk in rows]
    return page


def filter_options(experiment: Experiment | None) -> dict:
    """Choices for the filter bar, limited to one experiment (five small queries, kept PAGE_CACHE_SECONDS)."""
    if experiment is None:
        return {}
    if not settings.PAGE_CACHE_SECONDS:
        return _filter_options(experiment)
    key = f"browser-filter-options:{experiment.pk}"
    options = cache.get(key)
    if options is None:
        options = _filter_options(experiment)
        cache.set(key, options, settings.PAGE_CACHE_SECONDS)
    return options


def _filter_options(experiment: Experiment) -> dict:
    plot_types = list(PlotType.objects.filter(experiment=experiment, ignored=False).only("id", "name", "detector"))
    return {
        "run_periods": list(RunPeriod.objects.filter(experiment=experiment).only("id", "name")),
        "campaigns": list(Campaign.objects.filter(experiment=experiment).only("id", "name", "kind")),
        "plot_types": plot_types,
        "groups": list(PlotGroup.objects.filter(experiment=experiment).only("id", "name")),
        "detectors": sorted({pt.detector for pt in plot_types if pt.detector}),
        "label_classes": list(LabelClass.objects.filter(experiment=experiment)),
    }
