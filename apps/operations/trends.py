"""Trend series over runs: a plot type's Bad confidence and verdicts, a group's Bad fraction per run.

Served to the trends page and the API in one compact, columnar shape (one array per column, not
one object per point). A plot type's series reads Classification alone through its
(plot_type, run_number) index, newest runs first, at most ``MAX_POINTS`` verdicts; each plot counts
once, with its newest verdict. A group's series counts plots per run on the plot table, whose
verdict columns hold each plot's newest verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Count, FloatField, Max, Min, Q, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.urls import reverse

from apps.experiments.models import Run
from apps.labels.choices import Meaning
from apps.labels.models import LabelClass
from apps.monitoring.models import Activation, Classification, ClassifierModel
from apps.operations import conditions
from apps.plots.models import Plot, PlotGroup, PlotType

MAX_POINTS = 200_000
MAX_RUN = 2**31 - 1
AXES = ("run", "time")


class TrendError(ValueError):
    """A parameter the series cannot be drawn with: ``field`` and a message for the answer."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class TrendQuery:
    x: str = "run"  # "run", "time" or "cond:<key>" (a numeric run condition)
    run_min: int | None = None
    run_max: int | None = None
    campaign: int | None = None
    condition: str = ""

    @property
    def condition_key(self) -> str | None:
        return self.x[5:] if self.x.startswith("cond:") else None

    def as_params(self) -> dict:
        """The query as URL parameters, defaults left out."""
        params = {"x": self.x} if self.x != "run" else {}
        for name in ("run_min", "run_max", "campaign"):
            if getattr(self, name) is not None:
                params[name] = getattr(self, name)
        if self.condition:
            params["condition"] = self.condition
        return params


def _whole(params, name: str) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > MAX_RUN:
        raise TrendError(name, f"{name} must be a whole number from 0 to {MAX_RUN}, not {raw[:40]!r}.")
    return int(raw)


def parse_query(params) -> TrendQuery:
    """The query of a page or API request; raises TrendError naming the bad parameter."""
    x = (params.get("x") or "run").strip()
    by_condition = (params.get("x_condition") or "").strip()
    if by_condition:  # the page's free-text field for a numeric run condition as the x axis
        x = f"cond:{by_condition}"
    if x not in AXES and not (x.startswith("cond:") and len(x) > 5 and len(x) <= 105):
        raise TrendError("x", "x must be run, time or cond:<a numeric run condition>.")
    query = TrendQuery(
        x=x,
        run_min=_whole(params, "run_min"),
        run_max=_whole(params, "run_max"),
        campaign=_whole(params, "campaign"),
        condition=(params.get("condition") or "").strip(),
    )
    if query.run_min is not None and query.run_max is not None and query.run_min > query.run_max:
        raise TrendError("run_min", "run_min is above run_max.")
    try:
        conditions.parse(query.condition)
    except conditions.ConditionError as exc:
        raise TrendError("condition", str(exc)) from None
    return query


def _classes(experiment) -> tuple[list[list], dict[int, int], set[str]]:
    rows = list(LabelClass.objects.filter(experiment=experiment).order_by("order", "name"))
    table = [[c.pk, c.name, c.colour, c.meaning == Meaning.BAD] for c in rows]
    return table, {c.pk: i for i, c in enumerate(rows)}, {c.name for c in rows if c.meaning == Meaning.BAD}


class _Runs:
    """The experiment's runs in the asked range: start times, conditions, and which pass the filter."""

    def __init__(self, experiment, query: TrendQuery):
        self.started: dict[int, float] = {}
        self.numeric: dict[int, float] = {}
        self.allowed: set[int] | None = set() if query.condition else None
        if query.x == "run" and not query.condition:
            return  # the run numbers are the x values: no run needs reading
        runs = Run.objects.filter(experiment=experiment)
        if query.run_min is not None:
            runs = runs.filter(number__gte=query.run_min)
        if query.run_max is not None:
            runs = runs.filter(number__lte=query.run_max)
        needs_conditions = bool(query.condition or query.condition_key)
        fields = ["number", "started_at"] + (["conditions"] if needs_conditions else [])
        matches = conditions.parse(query.condition)
        key = query.condition_key
        for row in runs.values_list(*fields):
            number, started = row[0], row[1]
            if started is not None:
                self.started[number] = started.timestamp()
            if needs_conditions:
                conds = row[2] or {}
                if self.allowed is not None and matches(conds):
                    self.allowed.add(number)
                if key:
                    value = conditions.numeric(conds, key)
                    if value is not None:
                        self.numeric[number] = value

    def x_of(self, query: TrendQuery, run: int, fallback_time) -> float | None:
        if query.x == "run":
            return run
        if query.x == "time":
            started = self.started.get(run)
            if started is not None:
                return int(started)
            return _epoch(fallback_time) if fallback_time is not None else None
        return self.numeric.get(run)


def _epoch(value) -> int:
    """Seconds since 1970 of a time read straight from the cursor (stored in UTC; SQLite gives text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def _x_label(query: TrendQuery) -> str:
    if query.x == "run":
        return "Run number"
    if query.x == "time":
        return "Time (run start, else when classified)"
    return f"Run condition {query.condition_key}"


def _fetch(queryset) -> list[tuple]:
    """The rows of a values_list queryset straight from the cursor: no per-row field converters
    (booleans stay 0/1, times stay as the driver gives them), a fifth of the time at 100,000 rows."""
    from django.db import connections

    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())  # MySQLdb gives a tuple


def _in_run_range(queryset, query: TrendQuery):
    """``queryset`` cut to the query's run range (its ``run_number`` field)."""
    if query.run_min is not None:
        queryset = queryset.filter(run_number__gte=query.run_min)
    if query.run_max is not None:
        queryset = queryset.filter(run_number__lte=query.run_max)
    return queryset


def _verdict_rows(plot_type: PlotType, query: TrendQuery, bad_names: set[str]) -> tuple[list[tuple], bool]:
    """The plot type's verdicts in range, newest runs first, at most ``MAX_POINTS``; and whether cut."""
    rows = _in_run_range(Classification.objects.filter(plot_type=plot_type), query)
    if query.campaign is not None:
        rows = rows.filter(plot__campaign_id=query.campaign)
    # The Bad score is read from the JSON column by the database (decoding 100,000 JSON documents in
    # Python was most of the time); a verdict of a Bad class uses its confidence instead.
    bad_name = min(bad_names) if bad_names else None
    score = Cast(KT(f"scores__{bad_name}"), FloatField()) if bad_name else Value(None, FloatField())
    rows = rows.annotate(bad_score=score)
    fields = ["plot_id", "run_number", "model_id", "verdict_class_id", "confidence", "confirmed", "bad_score"]
    fields += ["created_at"] if query.x == "time" else []
    # Newest runs first along the index, so a cut keeps the recent end; ids rise with time, so the
    # first row met per plot is its newest verdict.
    rows = _fetch(rows.order_by("-run_number", "-id").values_list(*fields)[: MAX_POINTS + 1])
    truncated = len(rows) > MAX_POINTS
    del rows[MAX_POINTS:]
    return rows, truncated


def _current_labels(plot_type: PlotType, query: TrendQuery) -> dict[int, int]:
    """Plot id -> label class id of the plot type's labeled plots in range."""
    # From the few labeled plots along the plot table's (plot_type, label_class, run) index: joining
    # every verdict to its plot cost more than the rest of the query on MariaDB.
    labeled = _in_run_range(Plot.objects.filter(plot_type=plot_type, label_class__isnull=False), query)
    return dict(_fetch(labeled.values_list("id", "label_class_id")))


@dataclass
class _Points:
    """One point per plot (its newest verdict), the models met in order, and the plots left off."""

    rows: list[tuple]
    model_ids: dict[int, int]
    dropped: int


def _verdict_points(rows, query: TrendQuery, runs: _Runs, classes, class_index, labels) -> _Points:
    """The points of the verdict rows: (x, bad, verdict, confirmed, label, plot, run, model index)."""
    bad_verdicts = {i for i, c in enumerate(classes) if c[3]}
    seen: set[int] = set()
    out = _Points(rows=[], model_ids={}, dropped=0)
    model_ids = out.model_ids
    allowed = runs.allowed
    by_run = query.x == "run"
    for row in rows:
        plot_id, run, model_id, verdict_id, confidence, confirmed, bad = row[:7]
        if plot_id in seen:
            continue
        seen.add(plot_id)
        if allowed is not None and run not in allowed:
            continue
        x = run if by_run else runs.x_of(query, run, row[7] if len(row) > 7 else None)
        if x is None:
            out.dropped += 1
            continue
        verdict = class_index.get(verdict_id, -1)
        if verdict in bad_verdicts:
            bad = confidence
        m = model_ids.get(model_id)
        if m is None:
            m = model_ids[model_id] = len(model_ids)
        label_id = labels.get(plot_id)
        label = class_index.get(label_id, -1) if label_id else -1
        bad = None if bad is None else round(bad, 5)
        out.rows.append((x, bad, verdict, 1 if confirmed else 0, label, plot_id, run, m))
    if by_run:
        out.rows.reverse()  # read newest run first; a run's plots stay in any order
    else:
        out.rows.sort(key=lambda p: (p[0], p[6], p[5]))
    return out


def _model_spans(series: dict) -> dict[int, list]:
    """Model index -> [lowest x, highest x] of its points."""
    spans: dict[int, list] = {}
    for x, m in zip(series["x"], series["model"], strict=True):
        span = spans.get(m)
        if span is None:
            spans[m] = [x, x]
        elif x < span[0]:
            span[0] = x
        elif x > span[1]:
            span[1] = x
    return spans


def _model_rows(series: dict, model_ids: dict[int, int], models: dict) -> list[list]:
    """One row per model met, in order: id, name, thresholds, and the x span of its points."""
    spans = _model_spans(series)
    model_rows = []
    for model_id, m in sorted(model_ids.items(), key=lambda item: item[1]):
        model = models.get(model_id)
        thresholds = sorted(model.threshold_values().items()) if model else []
        model_rows.append(
            [model_id, model.name if model else f"model {model_id}", [[n, round(v, 4)] for n, v in thresholds]]
            + spans.get(m, [None, None])
        )
    return model_rows


def _activations(plot_type: PlotType, query: TrendQuery, series: dict, models: dict) -> list[list]:
    """The plot type's model activations placed on the run or time axis (none on a condition axis)."""
    activations = []
    if query.x not in AXES:
        return activations
    by_run = query.x == "run"
    shown = set(series["run"]) if by_run else None
    for at, model_id, username, note in (
        Activation.objects.filter(plot_type=plot_type)
        .order_by("created_at")
        .values_list("created_at", "model_id", "user__username", "note")
    ):
        if query.x == "time":
            x = int(at.timestamp())
        else:
            # On the run axis: the first run the model classified after it was made active
            # (one look-up along the (model, created_at) index per activation).
            after = Classification.objects.filter(plot_type=plot_type, model_id=model_id, created_at__gte=at)
            x = after.aggregate(first=Min("run_number"))["first"]
            if x is None or x not in shown:
                continue
        name = models[model_id].name if model_id in models else (f"model {model_id}" if model_id else "none")
        activations.append([x, model_id, name, username or "", note, at.isoformat()])
    return activations


def plot_type_series(plot_type: PlotType, query: TrendQuery) -> dict:
    """The Bad confidence and the verdict of each plot of ``plot_type`` per run, with thresholds,
    model activations and the plots' current labels."""
    experiment = plot_type.experiment
    classes, class_index, bad_names = _classes(experiment)
    runs = _Runs(experiment, query)
    rows, truncated = _verdict_rows(plot_type, query, bad_names)
    labels = _current_labels(plot_type, query)
    points = _verdict_points(rows, query, runs, classes, class_index, labels)
    columns = ("x", "bad", "verdict", "confirmed", "label", "plot", "run", "model")
    series = {name: [p[i] for p in points.rows] for i, name in enumerate(columns)}
    models = {m.pk: m for m in ClassifierModel.objects.filter(pk__in=list(points.model_ids))}
    return {
        "kind": "plot_type",
        "id": plot_type.pk,
        "name": plot_type.name,
        "experiment": experiment.slug,
        "x": query.x,
        "x_label": _x_label(query),
        "y_label": "Bad confidence",
        "classes": classes,
        "models": _model_rows(series, points.model_ids, models),
        "activations": _activations(plot_type, query, series, models),
        "columns": list(columns),
        "points": series,
        "count": len(points.rows),
        "dropped": points.dropped,
        "truncated": truncated,
        "plot_url": reverse("plot-page", args=[0]).replace("/0/", "/{id}/"),
    }


def group_series(group: PlotGroup, query: TrendQuery) -> dict:
    """The share of Bad verdicts among a group's plots (super groups included), per run."""
    experiment = group.experiment
    classes, _, _ = _classes(experiment)
    bad_ids = [c[0] for c in classes if c[3]]
    type_ids = list(group.all_plot_types().values_list("id", flat=True))
    runs = _Runs(experiment, query)
    plots = _in_run_range(Plot.objects.filter(plot_type_id__in=type_ids, verdict_class__isnull=False), query)
    if query.campaign is not None:
        plots = plots.filter(campaign_id=query.campaign)
    per_run = (
        plots.values("run_number")
        .annotate(n=Count("id"), bad=Count("id", filter=Q(verdict_class_id__in=bad_ids)), t=Max("classified_at"))
        .order_by("run_number")
        .values_list("run_number", "n", "bad", "t")
    )
    points = []
    dropped = 0
    for run, n, bad, t in per_run:
        if runs.allowed is not None and run not in runs.allowed:
            continue
        x = runs.x_of(query, run, t)
        if x is None:
            dropped += 1
            continue
        points.append((x, round(bad / n, 5) if n else 0.0, bad, n, run))
    points.sort()
    columns = ("x", "fraction", "bad", "total", "run")
    browse = reverse("plot-browser")
    bad_filter = f"&verdict={bad_ids[0]}" if len(bad_ids) == 1 else ""
    return {
        "kind": "group",
        "id": group.pk,
        "name": group.name,
        "experiment": experiment.slug,
        "x": query.x,
        "x_label": _x_label(query),
        "y_label": "Bad fraction",
        "plot_types": len(type_ids),
        "columns": list(columns),
        "points": {name: [p[i] for p in points] for i, name in enumerate(columns)},
        "count": len(points),
        "dropped": dropped,
        "truncated": False,
        "run_url": f"{browse}?experiment={experiment.slug}&group={group.pk}&run={{run}}{bad_filter}",
    }
