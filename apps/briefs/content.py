"""What a shift brief says: the figures and lists of one experiment over one period.

Every figure is an aggregate over an indexed range (plots on ``(experiment, ingested_at,
run_number)``, verdicts on ``created_at``, labels on ``created_at``); nothing loops over plots in
Python, and the lists are bounded (the worst ``THUMBNAILS`` Bad verdicts, the longest streaks).
"""

from __future__ import annotations

from datetime import datetime

from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.urls import reverse

from apps.labels.choices import Meaning
from apps.labels.models import Label, LabelClass
from apps.monitoring.models import Activation, Classification
from apps.plots.models import Plot, PlotType, media_url
from apps.validation.choices import ReportStatus
from apps.validation.models import ValidationReport

FORMAT = 1


def thumbnails() -> int:
    return int(getattr(settings, "BRIEF_THUMBNAILS", 12))


def min_streak() -> int:
    return int(getattr(settings, "BRIEF_MIN_STREAK", 3))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _user(user) -> str | None:
    return user.get_username() if user else None


def compute(experiment, since: datetime, until: datetime) -> dict:
    """The brief's content for ``experiment`` over ``[since, until)``, JSON-ready."""
    type_ids = PlotType.objects.filter(experiment=experiment).values("id")
    bad_ids = list(LabelClass.objects.filter(experiment=experiment, meaning=Meaning.BAD).values_list("id", flat=True))
    verdicts = Classification.objects.filter(created_at__gte=since, created_at__lt=until, plot_type_id__in=type_ids)
    alarms = alarms_in(experiment, since, until)
    return {
        "format": FORMAT,
        "experiment": experiment.name,
        "period": {"start": _iso(since), "end": _iso(until)},
        **runs_and_plots(experiment, since, until),
        "classified": classified(verdicts, bad_ids),
        "bad": bad_verdicts(verdicts, bad_ids),
        "unconfirmed_streaks": unconfirmed_streaks(experiment, since, until),
        "flickers": [a for a in alarms if a["reason"] == "flicker"],
        "alarms": [a for a in alarms if a["reason"] != "flicker"],
        "activations": activations(experiment, since, until),
        "labels": labels_by_person(experiment, since, until),
        "validation_reports": validation_reports(experiment, since, until),
    }


def runs_and_plots(experiment, since, until) -> dict:
    """Runs whose plots arrived in the period, with their plot counts (one GROUP BY on the index)."""
    rows = list(
        Plot.objects.filter(experiment=experiment, ingested_at__gte=since, ingested_at__lt=until)
        .values("run_number")
        .annotate(plots=Count("id"))
        .order_by("run_number")
    )
    return {
        "runs": {
            "count": len(rows),
            "first": rows[0]["run_number"] if rows else None,
            "last": rows[-1]["run_number"] if rows else None,
            "list": [{"run": r["run_number"], "plots": r["plots"]} for r in rows[-50:]],
        },
        "plots": {"ingested": sum(r["plots"] for r in rows)},
    }


def classified(verdicts, bad_ids) -> dict:
    bad = Q(verdict_class_id__in=bad_ids)
    row = verdicts.aggregate(
        n_total=Count("id"),
        n_confirmed=Count("id", filter=Q(confirmed=True)),
        n_bad=Count("id", filter=bad),
        n_bad_confirmed=Count("id", filter=bad & Q(confirmed=True)),
    )
    figures = {key[2:]: value for key, value in row.items()}
    figures["unconfirmed"] = figures["total"] - figures["confirmed"]
    return figures


def _plot_item(plot_id, type_name, run, thumbnail, **extra) -> dict:
    return {
        "plot": plot_id,
        "plot_type": type_name,
        "run": run,
        "thumbnail": media_url(thumbnail) if thumbnail else "",
        "url": reverse("plot-page", args=[plot_id]) if plot_id else "",
        **extra,
    }


def bad_verdicts(verdicts, bad_ids) -> dict:
    """New Bad verdicts: per plot type, and the worst few (confirmed first, then most confident), one per type."""
    bad = verdicts.filter(verdict_class_id__in=bad_ids)
    by_type = list(
        bad.values("plot_type_id", "plot_type__name")
        .annotate(n=Count("id"), n_confirmed=Count("id", filter=Q(confirmed=True)))
        .order_by("-n_confirmed", "-n", "plot_type__name")
    )
    limit = thumbnails()
    worst, seen = [], set()
    candidates = bad.order_by("-confirmed", "-confidence", "-id").values(
        "plot_id", "plot_type_id", "plot_type__name", "run_number", "confidence", "confirmed", "plot__thumbnail"
    )[: limit * 5]
    for row in candidates:
        if row["plot_type_id"] in seen:
            continue
        seen.add(row["plot_type_id"])
        worst.append(
            _plot_item(
                row["plot_id"],
                row["plot_type__name"],
                row["run_number"],
                row["plot__thumbnail"],
                confidence=round(row["confidence"], 3),
                confirmed=bool(row["confirmed"]),
            )
        )
        if len(worst) == limit:
            break
    return {
        "plot_types": len(by_type),
        "by_type": [
            {"plot_type": r["plot_type__name"], "verdicts": r["n"], "confirmed": r["n_confirmed"]} for r in by_type[:50]
        ],
        "worst": worst,
    }


_STREAKS_SQL = """
WITH per_run AS (
    SELECT c.plot_type_id AS t, c.run_number AS r, MAX(CASE WHEN c.confirmed THEN 1 ELSE 0 END) AS sure
    FROM {cls} c
    WHERE c.created_at >= %s AND c.created_at < %s
      AND c.plot_type_id IN (SELECT id FROM {types} WHERE experiment_id = %s)
    GROUP BY c.plot_type_id, c.run_number
), marked AS (
    SELECT t, r, sure,
           ROW_NUMBER() OVER (PARTITION BY t ORDER BY r) - ROW_NUMBER() OVER (PARTITION BY t, sure ORDER BY r) AS grp
    FROM per_run
)
SELECT t, MIN(r), MAX(r), COUNT(*) FROM marked WHERE sure = 0
GROUP BY t, grp HAVING COUNT(*) >= %s
ORDER BY COUNT(*) DESC, MAX(r) DESC, t
LIMIT %s
"""


def unconfirmed_streaks(experiment, since, until) -> list[dict]:
    """Plot types whose verdicts went unconfirmed for ``BRIEF_MIN_STREAK`` runs in a row or more.

    Runs in a row are the runs the plot type has verdicts for in the period, in run order; a run
    counts as unconfirmed when none of its verdicts (chunks, models) is confirmed. The gaps-and-islands
    query runs in the database (window functions: MariaDB 10.2+, SQLite 3.25+).
    """
    limit = thumbnails()
    sql = _STREAKS_SQL.format(cls=Classification._meta.db_table, types=PlotType._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [since, until, experiment.pk, min_streak(), limit * 5])
        rows = cursor.fetchall()
    longest: dict[int, tuple] = {}
    for t, first, last, n in rows:
        longest.setdefault(t, (first, last, n))
    chosen = list(longest.items())[:limit]
    names = dict(PlotType.objects.filter(pk__in=[t for t, _ in chosen]).values_list("id", "name"))
    streaks = []
    for t, (first, last, n) in chosen:
        plot = (
            Plot.objects.filter(plot_type_id=t, run_number=last)
            .order_by("chunk", "-id")
            .values("id", "thumbnail")
            .first()
        ) or {"id": None, "thumbnail": ""}
        streaks.append(_plot_item(plot["id"], names.get(t, str(t)), last, plot["thumbnail"], first_run=first, runs=n))
    return streaks


def alarm_model():
    """The alarm model of apps.alerts, or None where that app is not installed."""
    try:
        return django_apps.get_model("alerts", "Alarm")
    except LookupError:
        return None


def alarms_in(experiment, since, until) -> list[dict]:
    """Alarms opened, acknowledged or resolved in the period, and those still open at its end."""
    Alarm = alarm_model()
    if Alarm is None:
        return []
    touched = (
        Q(opened_at__gte=since, opened_at__lt=until)
        | Q(acknowledged_at__gte=since, acknowledged_at__lt=until)
        | Q(resolved_at__gte=since, resolved_at__lt=until)
        | (Q(opened_at__lt=until) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=until)))
    )
    rows = (
        Alarm.objects.filter(touched, experiment=experiment)
        .select_related("plot_type", "rule", "acknowledged_by")
        .order_by("opened_at", "id")[:100]
    )
    return [
        {
            "id": a.pk,
            "plot_type": a.plot_type.name,
            "reason": a.reason,
            "reason_display": a.get_reason_display(),
            "rule": a.rule.name,
            "state": a.state,
            "summary": a.summary,
            "opened_at": _iso(a.opened_at),
            "acknowledged_by": _user(a.acknowledged_by),
            "acknowledged_at": _iso(a.acknowledged_at),
            "ack_comment": a.ack_comment,
            "resolved_at": _iso(a.resolved_at),
            "url": a.get_absolute_url(),
        }
        for a in rows
    ]


def activations(experiment, since, until) -> list[dict]:
    rows = (
        Activation.objects.filter(plot_type__experiment=experiment, created_at__gte=since, created_at__lt=until)
        .select_related("plot_type", "model", "previous", "user")
        .order_by("created_at", "id")[:100]
    )
    return [
        {
            "plot_type": a.plot_type.name,
            "model": a.model.name if a.model else None,
            "previous": a.previous.name if a.previous else None,
            "by": _user(a.user),
            "at": _iso(a.created_at),
            "note": a.note,
        }
        for a in rows
    ]


def labels_by_person(experiment, since, until) -> dict:
    classes = LabelClass.objects.filter(experiment=experiment).values("id")
    rows = list(
        Label.objects.filter(created_at__gte=since, created_at__lt=until, label_class_id__in=classes)
        .values("user__username")
        .annotate(n=Count("id"))
        .order_by("-n", "user__username")
    )
    people = [{"user": r["user__username"] or "(deleted user)", "labels": r["n"]} for r in rows]
    return {"total": sum(p["labels"] for p in people), "by_person": people}


def validation_reports(experiment, since, until) -> list[dict]:
    rows = ValidationReport.objects.filter(
        experiment=experiment, status=ReportStatus.READY, computed_at__gte=since, computed_at__lt=until
    ).select_related("campaign", "reference")[:50]
    return [
        {
            "id": r.pk,
            "name": str(r),
            "computed_at": _iso(r.computed_at),
            "verdict": (r.summary or {}).get("verdict"),
            "counts": (r.summary or {}).get("counts", {}),
            "url": r.get_absolute_url(),
        }
        for r in rows
    ]
