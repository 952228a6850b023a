"""Trend series for scripts: the same columnar JSON the trends page draws."""

from __future__ import annotations

import time

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.operations import trends
from apps.plots.models import PlotGroup, PlotType

PARAMETERS = [
    OpenApiParameter("x", str, description="x axis: run (default), time, or cond:<numeric run condition>."),
    OpenApiParameter("run_min", int, description="Lowest run."),
    OpenApiParameter("run_max", int, description="Highest run."),
    OpenApiParameter("campaign", int, description="Campaign id."),
    OpenApiParameter(
        "condition", str, description='Run-condition expression, e.g. beam_current > 50 and target == "LH2".'
    ),
]


def _query(request) -> trends.TrendQuery:
    try:
        return trends.parse_query(request.query_params)
    except trends.TrendError as exc:
        raise exceptions.ValidationError({exc.field: [exc.message]}) from None


def _timed(build, subject, query) -> Response:
    """The series with a Server-Timing header: its wall and CPU time (browsers' network panels show it)."""
    wall, cpu = time.perf_counter(), time.process_time()
    response = Response(build(subject, query))
    wall, cpu = 1000 * (time.perf_counter() - wall), 1000 * (time.process_time() - cpu)
    response["Server-Timing"] = f'series;dur={wall:.1f};desc="built", cpu;dur={cpu:.1f};desc="CPU"'
    return response


class PlotTypeTrendView(APIView):
    """A plot type's verdicts per run: Bad confidence, verdict, confirmation, current label, plot id, run and
    model per point (one array per column), the models' thresholds and spans, and model activations."""

    renderer_classes = [JSONRenderer]  # 100,000 points: never the browsable page

    @extend_schema(parameters=PARAMETERS, responses={200: dict})
    def get(self, request, pk: int):
        plot_type = get_object_or_404(PlotType.objects.select_related("experiment"), pk=pk)
        return _timed(trends.plot_type_series, plot_type, _query(request))


class GroupTrendView(APIView):
    """A plot group's share of Bad verdicts per run (super groups include every plot type under them)."""

    renderer_classes = [JSONRenderer]

    @extend_schema(parameters=PARAMETERS, responses={200: dict})
    def get(self, request, pk: int):
        group = get_object_or_404(PlotGroup.objects.select_related("experiment"), pk=pk)
        return _timed(trends.group_series, group, _query(request))
