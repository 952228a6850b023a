"""What a shift brief says: the figures and lists of one experiment over one period.

Every figure is an aggregate over an indexed range that the database reads from the index alone
(plots on ``plot_exp_ingested``: experiment, ingested_at, run number; verdicts on ``cls_period``:
created_at, plot type, class, confirmed, run number, confidence; labels on ``created_at``); nothing
loops over plots in Python, and the lists are bounded (the worst ``BRIEF_THUMBNAILS`` Bad verdicts,
one per plot type, and the longest unconfirmed streaks), each fetched with one small query.
"""

from __future__ import annotations

from datetime import datetime

from django.apps import apps as django_apps
from django.conf import settings
from django.db.models import Count, Max, Q
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
    type_names = dict(PlotType.objects.filter(experiment=experiment).values_list("id", "name"))
    bad_ids = list(LabelClass.objects.filter(experiment=experiment, meaning=Meaning.BAD).values_list("id", flat=True))
    runs = runs_and_plots(experiment, since, until)
    per_type = verdicts_per_type(since, until, type_names, bad_ids)
    alarms = alarms_in(experiment, since, until)
    return {
        "format": FORMAT,
        "experiment": experiment.name,
        "period": {"start": _iso(since), "end": _iso(until)},
        "runs": runs["runs"],
        "plots": runs["plots"],
        "classified": classified(per_type),
        "bad": bad_verdicts(per_type, since, until, bad_ids),
        "unconfirmed_streaks": unconfirmed_streaks(since, until, type_names, runs["numbers"]),
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
        "numbers": [r["run_number"] for r in rows],
    }


def _period(since, until):
    """The period's verdicts, of every experiment: the range alone lets the database read the
    ``cls_period`` index without touching the rows; callers keep their experiment's plot types."""
    return Classification.objects.filter(created_at__gte=since, created_at__lt=until)


def verdicts_per_type(since, until, type_names: dict[int, str], bad_ids: list[int]) -> list[dict]:
    """Per plot type of the experiment: verdicts, confirmed, Bad, confirmed Bad and the top Bad confidences."""
    bad = Q(verdict_class_id__in=bad_ids)
    rows = (
        _period(since, until)
        .values("plot_type_id")
        .annotate(
            n=Count("id"),
            n_confirmed=Count("id", filter=Q(confirmed=True)),
            n_bad=Count("id", filter=bad),
            n_bad_confirmed=Count("id", filter=bad & Q(confirmed=True)),
            top_bad=Max("confidence", filter=bad),
            top_bad_confirmed=Max("confidence", filter=bad & Q(confirmed=True)),
        )
        .order_by()
    )
    return [{**r, "name": type_names[r["plot_type_id"]]} for r in rows if r["plot_type_id"] in type_names]


def classified(per_type: list[dict]) -> dict:
    figures = {key: sum(r[f"n_{key}"] for r in per_type) for key in ("confirmed", "bad", "bad_confirmed")}
    figures["total"] = sum(r["n"] for r in per_type)
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


def bad_verdicts(per_type: list[dict], since, until, bad_ids: list[int]) -> dict:
    """New Bad verdicts: per plot type, and the worst few, one per plot type: confirmed ones first,
    then the most confident. The types are chosen from the per-type figures (their top confidences)."""
    with_bad = [r for r in per_type if r["n_bad"]]
    with_bad.sort(key=lambda r: (-r["n_bad_confirmed"], -r["n_bad"], r["name"]))

    def severity(r):
        confirmed = r["top_bad_confirmed"] is not None
        return (not confirmed, -(r["top_bad_confirmed"] if confirmed else r["top_bad"]), r["name"])

    chosen = sorted(with_bad, key=severity)[: thumbnails()]
    worst = []
    if chosen:
        # Each chosen type's worst verdict is the one at its top confidence: one pass over the index
        # range finds them all, then their plots are read by primary key.
        match = Q()
        for r in chosen:
            confirmed = r["top_bad_confirmed"] is not None
            top = r["top_bad_confirmed"] if confirmed else r["top_bad"]
            match |= Q(plot_type_id=r["plot_type_id"], confidence=top, confirmed=confirmed)
        found = {}
        hits = (
            _period(since, until)
            .filter(match, verdict_class_id__in=bad_ids)
            .order_by("-id")
            .values_list("plot_type_id", "id")
        )
        for t, pk in hits:
            found.setdefault(t, pk)
        rows = {
            row["id"]: row
            for row in Classification.objects.filter(pk__in=found.values()).values(
                "id", "plot_id", "run_number", "confidence", "confirmed", "plot__thumbnail"
            )
        }
        for r in chosen:
            row = rows.get(found.get(r["plot_type_id"]))
            if row is None:  # deleted in between
                continue
            worst.append(
                _plot_item(
                    row["plot_id"],
                    r["name"],
                    row["run_number"],
                    row["plot__thumbnail"],
                    confidence=round(row["confidence"], 3),
                    confirmed=bool(row["confirmed"]),
                )
            )
    return {
        "plot_types": len(with_bad),
        "by_type": [
            {"plot_type": r["name"], "verdicts": r["n_bad"], "confirmed": r["n_bad_confirmed"]} for r in with_bad[:50]
        ],
        "worst": worst,
    }


def _islands(rows, rank: dict[int, int]):
    """(plot type, run) pairs sorted by type then run → (type, first run, last run, runs) per stretch of
    consecutive ranks."""
    current = None
    for t, r in rows:
        k = rank[r]
        if current and current[0] == t and k == current[4] + 1:
            current = (t, current[1], r, current[3] + 1, k)
            continue
        if current:
            yield current[:4]
        current = (t, r, r, 1, k)
    if current:
        yield current[:4]


def unconfirmed_streaks(since, until, type_names: dict[int, str], run_numbers: list[int]) -> list[dict]:
    """Plot types with an unconfirmed verdict in ``BRIEF_MIN_STREAK`` runs in a row or more, longest first.

    Runs in a row are consecutive among the period's runs (those with plots, and those with
    verdicts re-made in the period). The database returns the distinct (plot type, run) pairs of
    unconfirmed verdicts from the ``cls_period`` index; the stretches are found in one pass over them.
    """
    pairs = (
        _period(since, until)
        .filter(confirmed=False)
        .values_list("plot_type_id", "run_number")
        .distinct()
        .order_by("plot_type_id", "run_number")
    )
    pairs = [(t, r) for t, r in pairs if t in type_names]
    rank = {r: i for i, r in enumerate(sorted(set(run_numbers) | {r for _, r in pairs}))}
    longest: dict[int, tuple] = {}
    for t, first, last, n in _islands(pairs, rank):
        if n >= min_streak() and (t not in longest or n >= longest[t][2]):
            longest[t] = (first, last, n)
    chosen = sorted(longest.items(), key=lambda item: (-item[1][2], -item[1][1], type_names[item[0]]))
    streaks = []
    for t, (first, last, n) in chosen[: thumbnails()]:
        plot = (
            Plot.objects.filter(plot_type_id=t, run_number=last)
            .order_by("chunk", "-id")
            .values("id", "thumbnail")
            .first()
        ) or {"id": None, "thumbnail": ""}
        streaks.append(_plot_item(plot["id"], type_names[t], last, plot["thumbnail"], first_run=first, runs=n))
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
