"""Pages: trends over runs (a plot type, a group), the status page, and /metrics for Prometheus."""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from apps.accounts.permissions import is_admin
from apps.core.bad_input import BadParameters
from apps.core.permissions import read_required
from apps.experiments.models import Campaign
from apps.experiments.selection import current_experiment
from apps.monitoring.runtime import group_closure
from apps.operations import metrics, status, trends
from apps.plots.models import PlotGroup, PlotType


def _query(request) -> trends.TrendQuery:
    try:
        return trends.parse_query(request.GET)
    except trends.TrendError as exc:
        raise BadParameters({exc.field: [exc.message]}) from None


def _context(request, experiment, query, **extra) -> dict:
    groups, _ = group_closure(experiment) if experiment else ([], {})
    return {
        "experiment": experiment,
        "plot_types": PlotType.objects.filter(experiment=experiment, ignored=False).order_by("name")
        if experiment
        else [],
        "groups": groups,
        "campaigns": Campaign.objects.filter(experiment=experiment).order_by("name") if experiment else [],
        "query": query,
        "params": request.GET,
        "query_string": urlencode(query.as_params()),
        **extra,
    }


@require_GET
@read_required
def trends_index(request):
    """Choose a plot type or a plot group to follow over runs."""
    experiment = current_experiment(request)
    return render(request, "operations/trends.html", _context(request, experiment, trends.TrendQuery()))


@require_GET
@read_required
def plot_type_trend(request, pk: int):
    plot_type = get_object_or_404(PlotType.objects.select_related("experiment"), pk=pk)
    query = _query(request)
    series_url = reverse("api:trend-plot-type", args=[pk])
    context = _context(request, plot_type.experiment, query, subject=plot_type, kind="plot_type")
    context["series_url"] = f"{series_url}?{context['query_string']}"
    return render(request, "operations/trends.html", context)


@require_GET
@read_required
def group_trend(request, pk: int):
    group = get_object_or_404(PlotGroup.objects.select_related("experiment"), pk=pk)
    query = _query(request)
    series_url = reverse("api:trend-group", args=[pk])
    context = _context(request, group.experiment, query, subject=group, kind="group")
    context["series_url"] = f"{series_url}?{context['query_string']}"
    return render(request, "operations/trends.html", context)


@require_GET
@read_required
def status_page(request):
    """Pipeline timings, queues, workers, newest plots, the classified-per-day heat map, delivery failures.

    ``?part=panel`` answers the panel alone: the page fetches it when a job, plot or verdict event
    arrives (push, never a timer).
    """
    context = status.snapshot()
    if request.GET.get("part") == "panel":
        return render(request, "operations/_status_panel.html", context)
    return render(request, "operations/status.html", context)


def _metrics_token() -> str:
    token = getattr(settings, "METRICS_TOKEN", None)
    if token is None:  # settings without the reader: read the variable the same way
        from hydra_portal.env import env_str

        token = env_str("HYDRA_METRICS_TOKEN", "")
    return token


def _refuse(status_code: int, message: str) -> HttpResponse:
    response = HttpResponse(message + "\n", status=status_code, content_type="text/plain; charset=utf-8")
    if status_code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@require_GET
def metrics_view(request):
    """Prometheus text format, for admins (a session) or a scraper sending ``Authorization: Bearer <token>``."""
    header = request.headers.get("Authorization", "")
    token = _metrics_token()
    if header:
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return _refuse(401, "Send Authorization: Bearer <token> (the HYDRA_METRICS_TOKEN of the portal).")
        if not token:
            return _refuse(403, "No metrics token is configured (HYDRA_METRICS_TOKEN); only admins may read /metrics.")
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            return _refuse(403, "The bearer token is not the metrics token.")
    elif not request.user.is_authenticated:
        return _refuse(401, "Log in as an admin or send Authorization: Bearer <HYDRA_METRICS_TOKEN>.")
    elif not is_admin(request.user):
        return _refuse(403, "Only admins (or a scraper with the metrics token) may read /metrics.")
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)
