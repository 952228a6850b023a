"""The figures of the status page and of /metrics, read from the database at the moment they are asked.

Nothing here keeps state in a process: several web processes and workers agree on every figure.
Stage times come from ``StageTiming`` (one row per batch, weighted by its items), queue waits from
the job table (started − created), tallies from ``DailyTally``; nothing counts a table of plots.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.apps import apps as django_apps
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import DatabaseError, transaction
from django.db.models import Sum
from django.utils import timezone

from apps.core.timing import STAGES
from apps.experiments.models import Experiment
from apps.jobs.models import Job
from apps.operations.models import DailyTally, StageTiming
from apps.plots.models import Plot

WINDOWS = (("1h", dt.timedelta(hours=1)), ("24h", dt.timedelta(days=1)))
STAGE_NAMES = {
    "ingest": "Ingest (per plot)",
    "queue": "Queue wait (per job)",
    "classification": "Classification (per image)",
    "gradcam": "GradCAM (per image)",
    "push": "Push to pages (per verdict)",
}
# An experiment whose newest plot is older than this is shown red (its feeder may have stopped).
STALE_AFTER = dt.timedelta(minutes=30)
HEATMAP_WEEKS = 53
HEARTBEATS_SHOWN = 20


def weighted_quantiles(pairs: list[tuple[float, int]], qs=(0.5, 0.95)) -> list[float | None]:
    """Quantiles of values given as (value, weight): each batch counts once per item it held."""
    if not pairs:
        return [None for _ in qs]
    pairs = sorted(pairs)
    total = sum(w for _, w in pairs)
    out = []
    for q in qs:
        target, running = q * total, 0
        for value, weight in pairs:
            running += weight
            if running >= target:
                out.append(value)
                break
        else:
            out.append(pairs[-1][0])
    return out


@dataclass
class StageFigure:
    stage: str
    name: str
    windows: dict = field(default_factory=dict)  # "1h" → {"p50", "p95", "items"}


def _stage_pairs(stage: str, since) -> list[tuple[float, int]]:
    if stage == "queue":
        rows = Job.objects.filter(started_at__gte=since).values_list("created_at", "started_at")
        return [(max(0.0, (s - c).total_seconds()), 1) for c, s in rows if c and s]
    rows = StageTiming.objects.filter(stage=stage, at__gte=since).values_list("seconds", "count")
    return [(seconds / max(1, count), count) for seconds, count in rows]


def stage_figures(now=None) -> list[StageFigure]:
    now = now or timezone.now()
    figures = []
    for stage in STAGES:
        figure = StageFigure(stage, STAGE_NAMES.get(stage, stage))
        for label, span in WINDOWS:
            pairs = _stage_pairs(stage, now - span)
            p50, p95 = weighted_quantiles(pairs)
            figure.windows[label] = {"p50": p50, "p95": p95, "items": sum(w for _, w in pairs)}
        figures.append(figure)
    return figures


def queue_figures() -> dict:
    queued = Job.objects.filter(status=Job.Status.QUEUED)
    return {
        "queued": queued.count(),
        "running": Job.objects.filter(status=Job.Status.RUNNING).count(),
        "outbox_unsent": queued.exclude(actor="").filter(sent_at__isnull=True).count(),
    }


def job_states() -> dict[str, int]:
    """Jobs per state (the job table holds a row per task, not per plot)."""
    from django.db.models import Count

    counts = dict(Job.objects.order_by().values_list("status").annotate(n=Count("id")))
    return {state: counts.get(state, 0) for state in Job.Status.values}


def finished_recently(now=None) -> dict[str, int]:
    """Jobs done and failed among those created in the last day (along the created_at index)."""
    from django.db.models import Count

    now = now or timezone.now()
    recent = Job.objects.filter(created_at__gte=now - dt.timedelta(days=1), status__in=["done", "failed"])
    counts = dict(recent.order_by().values_list("status").annotate(n=Count("id")))
    return {"done": counts.get("done", 0), "failed": counts.get("failed", 0)}


def heartbeats(now=None) -> list[dict]:
    """Running jobs with their worker's last sign of life, stalest first."""
    now = now or timezone.now()
    limit = float(getattr(settings, "JOB_HEARTBEAT_TIMEOUT", 120.0))
    rows = (
        Job.objects.filter(status=Job.Status.RUNNING)
        .order_by("heartbeat_at")
        .values("id", "kind", "title", "started_at", "heartbeat_at", "attempts")[:HEARTBEATS_SHOWN]
    )
    out = []
    for row in rows:
        beat = row["heartbeat_at"] or row["started_at"]
        age = (now - beat).total_seconds() if beat else None
        out.append({**row, "age": age, "stale": age is None or age > limit})
    return out


def newest_plots(now=None) -> list[dict]:
    """Per experiment, when its newest plot arrived (one index look-up each) and whether that is stale."""
    now = now or timezone.now()
    out = []
    for experiment in Experiment.objects.order_by("name"):
        newest = Plot.objects.filter(experiment=experiment).order_by("-id").values_list("ingested_at", flat=True)
        at = newest.first()
        age = (now - at).total_seconds() if at else None
        out.append(
            {
                "experiment": experiment,
                "at": at,
                "age": age,
                "stale": age is None or age > STALE_AFTER.total_seconds(),
            }
        )
    return out


def totals() -> dict[str, int]:
    """Plots ingested and images classified since tallies began (monotonic: tallies are never pruned)."""
    sums = dict(DailyTally.objects.order_by().values_list("kind").annotate(n=Sum("count")))
    return {kind: int(sums.get(kind) or 0) for kind in DailyTally.Kind.values}


def heatmap(today=None, weeks: int = HEATMAP_WEEKS) -> dict:
    """Images classified per day for the last ``weeks`` weeks, as week columns of seven days (Monday first)."""
    today = today or timezone.localdate()
    start = today - dt.timedelta(days=today.weekday() + 7 * (weeks - 1))
    counts = dict(
        DailyTally.objects.filter(kind=DailyTally.Kind.CLASSIFIED, day__gte=start, day__lte=today).values_list(
            "day", "count"
        )
    )
    top = max(counts.values(), default=0)
    columns = []
    for w in range(weeks):
        column = []
        for d in range(7):
            day = start + dt.timedelta(days=7 * w + d)
            if day > today:
                column.append(None)
                continue
            n = counts.get(day, 0)
            level = 0 if not n or not top else min(4, 1 + int(4 * n / (top + 1)))
            column.append({"day": day, "count": n, "level": level})
        columns.append(column)
    return {"columns": columns, "top": top, "total": sum(counts.values()), "start": start, "end": today}


@dataclass
class DeliveryFailures:
    available: bool
    last_hour: int = 0
    last_day: int = 0
    retrying: int = 0
    message: str = ""


def delivery_failures(now=None) -> DeliveryFailures:
    """Failed notification deliveries, read from the notifications app's ``Delivery`` model.

    The hook reads ``Delivery.status`` (``"failed"`` after the last attempt) and ``created_at`` for
    the windows, and counts as retrying the queued ones whose last attempt left an error
    (``attempts``, ``last_error``). A tree without that model, or a database without its table yet,
    shows "not available" instead of failing the page.
    """
    now = now or timezone.now()
    try:
        model = django_apps.get_model("notifications", "Delivery")
    except LookupError:
        return DeliveryFailures(False, message="the notifications app keeps no delivery log yet")
    try:
        with transaction.atomic():  # a savepoint: a missing table must not break the request's transaction
            failed = model.objects.filter(status="failed")
            return DeliveryFailures(
                True,
                last_hour=failed.filter(created_at__gte=now - dt.timedelta(hours=1)).count(),
                last_day=failed.filter(created_at__gte=now - dt.timedelta(days=1)).count(),
                retrying=model.objects.filter(status="queued", attempts__gt=0).exclude(last_error="").count(),
            )
    except FieldError as exc:
        return DeliveryFailures(False, message=f"the delivery log has another shape: {exc}")
    except DatabaseError as exc:
        return DeliveryFailures(False, message=f"the delivery log cannot be read: {str(exc)[:200]}")


def snapshot() -> dict:
    """Everything the status page shows, as of now."""
    now = timezone.now()
    return {
        "now": now,
        "stages": stage_figures(now),
        "queue": queue_figures(),
        "jobs": finished_recently(now),
        "heartbeats": heartbeats(now),
        "heartbeat_limit": float(getattr(settings, "JOB_HEARTBEAT_TIMEOUT", 120.0)),
        "newest": newest_plots(now),
        "stale_after": int(STALE_AFTER.total_seconds()),
        "heatmap": heatmap(),
        "totals": totals(),
        "deliveries": delivery_failures(now),
    }
