"""Validation reports, embedding maps and thresholds over the API."""

import numpy as np
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.core.api.schema import error_responses
from apps.core.api.viewsets import BaseViewSet, ModelViewSet, ReadOnlyModelViewSet
from apps.jobs.api.serializers import JobSerializer
from apps.validation import reports, tasks
from apps.validation.api import serializers
from apps.validation.filtersets import (
    EmbeddingSpaceFilterSet,
    ValidationReportFilterSet,
    ValidationThresholdFilterSet,
)
from apps.validation.models import EmbeddingSpace, PlotEmbedding, ValidationReport, ValidationThreshold
from apps.validation.permissions import MayRunOrReadOnly
from ml.maps import downsample

MAX_POINTS = 100_000


@extend_schema_view(
    list=extend_schema(responses={200: serializers.ValidationReportSerializer(many=True), **error_responses(400, 401)}),
    retrieve=extend_schema(responses={200: serializers.ValidationReportDetailSerializer, **error_responses(401, 404)}),
)
class ValidationReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, BaseViewSet):
    """Campaign validation reports: per plot type a similarity to the reference campaign and a verdict.

    Creating one (campaign, optional reference) queues its computation and answers 202 with the job;
    an existing pair is recomputed. Reports recompute by themselves when plots of either campaign arrive.
    """

    queryset = ValidationReport.objects.select_related("campaign", "reference")
    serializer_class = serializers.ValidationReportSerializer
    filterset_class = ValidationReportFilterSet
    permission_classes = [MayRunOrReadOnly]
    cursor_order = ("-id",)

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "retrieve":
            qs = qs.prefetch_related("results__plot_type")
        return qs

    def get_serializer_class(self):
        return (
            serializers.ValidationReportDetailSerializer
            if self.action == "retrieve"
            else super().get_serializer_class()
        )

    @extend_schema(
        request=serializers.ValidationReportSerializer,
        responses={202: serializers.ValidationReportSerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            with transaction.atomic():
                report = reports.get_or_create_report(
                    data["campaign"], data.get("reference"), request.user, conditions=data.get("conditions", "")
                )
                if "auto_update" in data and report.auto_update != data["auto_update"]:
                    report.auto_update = data["auto_update"]
                    report.save(update_fields=["auto_update"])
                tasks.start_report(report, user=request.user)
        except ValueError as exc:
            raise ValidationError({"reference": [str(exc)]}) from None
        report.refresh_from_db()
        return Response(self.get_serializer(report).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: JobSerializer, **error_responses(401, 403, 404)})
    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        """Queue a recomputation now (one waiting job per report at most)."""
        report = self.get_object()
        job = tasks.start_report(report, user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(responses={200: serializers.EmbeddingSpaceSerializer(many=True), **error_responses(400, 401)}),
    retrieve=extend_schema(responses={200: serializers.EmbeddingSpaceSerializer, **error_responses(401, 404)}),
)
class EmbeddingSpaceViewSet(ReadOnlyModelViewSet):
    """Embedding maps per plot type (t-SNE of autoencoder, pixel or classifier embeddings) with clusters."""

    queryset = EmbeddingSpace.objects.select_related("plot_type")
    serializer_class = serializers.EmbeddingSpaceSerializer
    filterset_class = EmbeddingSpaceFilterSet
    cursor_order = ("id",)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "max_points", int, description=f"At most this many points (default and limit {MAX_POINTS})."
            )
        ],
        responses={200: serializers.MapPointsSerializer, **error_responses(400, 401, 404)},
    )
    @action(detail=True, methods=["get"])
    def points(self, request, pk=None):
        """Every plot's map position, cluster and scores as columns; downsampled beyond ``max_points``."""
        space = self.get_object()
        raw = request.query_params.get("max_points", "")
        if raw and not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_POINTS):
            raise ValidationError({"max_points": [f"Use a whole number from 1 to {MAX_POINTS}."]})
        limit = int(raw) if raw else MAX_POINTS
        rows = list(
            PlotEmbedding.objects.filter(space=space)
            .order_by("plot_id")
            .values_list("plot_id", "x", "y", "cluster", "outlier_score", "mislabel_score")
        )
        keep = range(len(rows))
        if len(rows) > limit:
            keep = downsample(np.array([(r[1], r[2]) for r in rows], dtype=np.float32), limit).tolist()
        chosen = [rows[i] for i in keep]
        columns = list(zip(*chosen, strict=True)) if chosen else [[] for _ in range(6)]
        return Response(
            {
                "total": len(rows),
                "downsampled": len(chosen) < len(rows),
                "plot": list(columns[0]),
                "x": list(columns[1]),
                "y": list(columns[2]),
                "cluster": list(columns[3]),
                "outlier_score": list(columns[4]),
                "mislabel_score": list(columns[5]),
            }
        )


class ValidationThresholdViewSet(ModelViewSet):
    """Per plot type: similarity below which a validation warns or fails (statistical and Siamese)."""

    queryset = ValidationThreshold.objects.select_related("plot_type")
    serializer_class = serializers.ValidationThresholdSerializer
    filterset_class = ValidationThresholdFilterSet
    permission_classes = [MayRunOrReadOnly]
    cursor_order = ("id",)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_create(self, serializer):
        serializer.save(set_by="user", updated_by=self.request.user)

    def perform_update(self, serializer):
        serializer.save(set_by="user", updated_by=self.request.user)
