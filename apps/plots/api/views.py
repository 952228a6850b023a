from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import parsers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.api.permissions import AdminOrReadOnly, CanUpload
from apps.core.api.exceptions import ApiError, PayloadTooLarge
from apps.core.api.schema import ERRORS, error_responses
from apps.core.api.viewsets import BaseViewSet, ModelViewSet
from apps.labels.api.serializers import LabelSerializer
from apps.labels.models import Label
from apps.plots.api import serializers
from apps.plots.api.uploads import MULTIPART_SLACK, BulkUpload, check_content_length, status_for
from apps.plots.filtersets import DEFAULT_SORT, SORTS, PlotFilterSet, PlotGroupFilterSet, PlotTypeFilterSet
from apps.plots.ingest import Ingestor, Source
from apps.plots.layout import PlotRef
from apps.plots.models import Plot, PlotGroup, PlotType


class PlotTypeViewSet(ModelViewSet):
    """Plot types (one histogram of one detector). Admins create and change them; uploads may add new ones."""

    queryset = PlotType.objects.select_related("experiment").prefetch_related("label_classes", "groups")
    serializer_class = serializers.PlotTypeSerializer
    filterset_class = PlotTypeFilterSet
    permission_classes = [AdminOrReadOnly]
    cursor_order = ("id",)


def type_closure() -> dict[int, set[int]]:
    """Map every group id to the plot types in it or under it: three queries for all groups."""
    children: dict[int, set[int]] = {}
    for child, parent in PlotGroup.parents.through.objects.values_list("from_plotgroup_id", "to_plotgroup_id"):
        children.setdefault(parent, set()).add(child)
    direct: dict[int, set[int]] = {}
    for group, plot_type in PlotGroup.plot_types.through.objects.values_list("plotgroup_id", "plottype_id"):
        direct.setdefault(group, set()).add(plot_type)
    closure: dict[int, set[int]] = {}

    def collect(group: int, seen: frozenset) -> set[int]:
        if group in closure:
            return closure[group]
        types = set(direct.get(group, ()))
        for child in children.get(group, ()):
            if child not in seen:  # cycles are rejected on save; this only guards old data
                types |= collect(child, seen | {child})
        closure[group] = types
        return types

    for group in PlotGroup.objects.values_list("id", flat=True):
        collect(group, frozenset({group}))
    return closure


class PlotGroupViewSet(ModelViewSet):
    """Plot groups and super groups, each with the ids of every plot type under it (`all_plot_type_ids`)."""

    queryset = PlotGroup.objects.select_related("experiment").prefetch_related(
        Prefetch("plot_types", queryset=PlotType.objects.only("id")),
        Prefetch("parents", queryset=PlotGroup.objects.only("id")),
        Prefetch("children", queryset=PlotGroup.objects.only("id")),
    )
    serializer_class = serializers.PlotGroupSerializer
    filterset_class = PlotGroupFilterSet
    permission_classes = [AdminOrReadOnly]
    cursor_order = ("id",)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request is not None and self.request.method == "GET":
            context["type_closure"] = type_closure()
        return context


UPLOAD_DESCRIPTION = """\
Upload one image into its plot slot (experiment, plot type, run, campaign, chunk).

Idempotent: sending the same bytes for the same slot again answers **200** with the plot already
there; a new plot answers **201**. Refused uploads store nothing: **413** when the file is over
`HYDRA_MAX_IMAGE_BYTES` (checked from Content-Length before the body is read), **415** when it is not
a PNG, JPEG, GIF or WebP image or is corrupt, **409** when the slot already holds a different image,
**400** for bad fields or an unknown plot type, run or campaign with `create=false`.
Needs the permission `plots.add_plot`.
"""

BULK_DESCRIPTION = """\
Upload several images in one request (`images`, repeated, with `paths` giving each one's relative
path), or a zip (`archive`), or both. Paths follow the Hydra layout
`RunPeriod-X/RunNNNNNN/PlotType_NNNN.png`; a bare `PlotType_NNNN.png` takes `run` and `run_period`
from the form. At most 100 files per request (use archives for more).

Every file gets a result: `new`, `duplicate` (same bytes already in that slot) or `rejected` with a
reason; the others go in regardless (a multi-status body). The HTTP status is **200** when at least one
file is new or a duplicate, and **400** (error shape, results under `details`) when every file was
rejected. A whole request is refused up front, storing nothing, when it is over `HYDRA_MAX_UPLOAD_BYTES`
(413), an archive would unpack past `HYDRA_MAX_ARCHIVE_BYTES` or `HYDRA_MAX_ARCHIVE_MEMBERS` (413), or
the archive is not a zip (415).
"""

PLOT_EXAMPLE = {
    "id": 1234,
    "experiment": "gluex",
    "plot_type": 7,
    "plot_type_name": "CDC_straw_occupancy",
    "detector": "CDC",
    "run": 80464,
    "run_period": 3,
    "run_period_name": "RunPeriod-2021-08",
    "campaign": 1,
    "campaign_name": "online",
    "chunk": 0,
    "label_class": None,
    "label": None,
    "labeled_at": None,
    "verdict_class": None,
    "verdict": None,
    "verdict_confidence": None,
    "verdict_confirmed": None,
    "image_url": "https://hydra.example.org/media/plots/ab/cd/abcd….png",
    "thumbnail_url": "https://hydra.example.org/media/thumbs/ab/cd/abcd….webp",
    "download_url": "https://hydra.example.org/plots/1234/image?download",
    "sha256": "abcd…",
    "size_bytes": 48213,
    "width": 480,
    "height": 360,
    "original_path": "CDC_straw_occupancy.png",
    "ingested_at": "2026-01-01T12:00:00Z",
    "training_weight": 1,
    "simulated_failure": "",
}


@extend_schema_view(
    list=extend_schema(
        description=(
            "Plots, filtered like the plot browser (same FilterSet) and sorted by `sort`. "
            "Keyset-paginated: follow `next` / `previous`; deep pages cost what the first one does."
        ),
        responses={200: serializers.PlotSerializer(many=True), **error_responses(400, 401)},
    ),
    retrieve=extend_schema(responses={200: serializers.PlotSerializer, **error_responses(401, 404)}),
)
class PlotViewSet(BaseViewSet):
    """Monitoring plots: list, read, upload (single and bulk) and label history."""

    serializer_class = serializers.PlotSerializer
    filterset_class = PlotFilterSet
    permission_classes = [CanUpload]
    # Writes here are uploads: multipart forms only.
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    def get_queryset(self):
        return Plot.objects.select_related(
            "experiment", "plot_type", "run_period", "campaign", "label_class", "verdict_class"
        )

    def get_cursor_order(self, request):
        if self.action == "labels":
            return ("-id",)
        return SORTS.get(request.query_params.get("sort") or DEFAULT_SORT, SORTS[DEFAULT_SORT])

    def initial(self, request, *args, **kwargs):
        # Refuse oversized bodies from the header alone, before authentication might parse the form.
        if self.action == "create":
            check_content_length(request, settings.MAX_IMAGE_BYTES + MULTIPART_SLACK)
        elif self.action == "bulk":
            check_content_length(request, settings.MAX_UPLOAD_BYTES)
        super().initial(request, *args, **kwargs)

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        # Not through the list's FilterSet: a plot of an ignored type is still readable by id.
        return Response(self.get_serializer(get_object_or_404(self.get_queryset(), pk=pk)).data)

    @extend_schema(
        summary="Upload one plot",
        description=UPLOAD_DESCRIPTION,
        request={"multipart/form-data": serializers.PlotUploadSerializer},
        responses={
            201: OpenApiResponse(serializers.PlotSerializer, description="A new plot."),
            200: OpenApiResponse(serializers.PlotSerializer, description="The same image was already in this slot."),
            **error_responses(400, 401, 403, 409, 413, 415),
        },
        examples=[
            OpenApiExample(
                "Form fields",
                request_only=True,
                media_type="multipart/form-data",
                value={
                    "image": "(binary PNG)",
                    "experiment": "gluex",
                    "plot_type": "CDC_straw_occupancy",
                    "run": 80464,
                    "run_period": "RunPeriod-2021-08",
                    "campaign": "online",
                    "chunk": 0,
                },
            ),
            OpenApiExample("New plot", response_only=True, status_codes=["201"], value=PLOT_EXAMPLE),
            OpenApiExample(
                "Not an image",
                response_only=True,
                status_codes=["415"],
                value=ERRORS[415],
            ),
        ],
    )
    def create(self, request):
        form = serializers.PlotUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        upload = data["image"]
        if upload.size is not None and upload.size > settings.MAX_IMAGE_BYTES:
            raise PayloadTooLarge(f"file is {upload.size:,} bytes, over the limit of {settings.MAX_IMAGE_BYTES:,}")
        plot_type = data["plot_type"].strip()
        if not plot_type or "/" in plot_type:
            raise ApiError(400, "invalid", "plot_type: use a plot type name without '/'", {"plot_type": ["invalid"]})
        ref = PlotRef(
            plot_type=plot_type,
            run=data["run"],
            run_period=data["run_period"].strip() or "default",
            chunk=data["chunk"],
            campaign=data["campaign"].strip() or "online",
        )
        source = Source(name=(upload.name or "upload")[:500], ref=ref, data=upload.read())
        with Ingestor(
            data["experiment"],
            campaign=ref.campaign,
            create=data["create"],
            workers=1,
            training_weight=data["training_weight"],
        ) as ingestor:
            outcome = ingestor.ingest([source]).outcomes[0]
        if outcome.status == "rejected":
            code_status, code = status_for(outcome.reason)
            details = {"name": outcome.name}
            if outcome.held_sha256:
                details["sha256"] = outcome.held_sha256
            raise ApiError(code_status, code, outcome.reason, details)
        if outcome.status == "new":
            # The ingestor's plot already carries its plot type, run, period and campaign: no second read.
            plot = outcome.plot
            plot.experiment = data["experiment"]
            plot.run_period = plot.run.run_period
            body = self.get_serializer(plot).data
            location = request.build_absolute_uri(f"{request.path.rstrip('/')}/{plot.pk}/")
            return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})
        plot = self._fetch(outcome.plot, data["experiment"], ref)
        return Response(self.get_serializer(plot).data, status=status.HTTP_200_OK)

    def _fetch(self, plot, experiment, ref: PlotRef) -> Plot:
        queryset = self.get_queryset()
        if plot is not None and plot.pk is not None:
            return queryset.get(pk=plot.pk)
        # Another request filled the slot at the same moment: return what is there.
        return queryset.get(
            experiment=experiment,
            plot_type__name=ref.plot_type,
            run__number=ref.run,
            campaign__name=ref.campaign,
            chunk=ref.chunk,
        )

    @extend_schema(
        summary="Upload many plots (files or a zip)",
        description=BULK_DESCRIPTION,
        request={"multipart/form-data": serializers.BulkUploadSerializer},
        responses={
            200: OpenApiResponse(
                serializers.BulkUploadResponseSerializer, description="At least one file went in; see each result."
            ),
            **error_responses(400, 401, 403, 413, 415),
        },
        examples=[
            OpenApiExample(
                "Two files, one broken",
                response_only=True,
                status_codes=["200"],
                value={
                    "experiment": "gluex",
                    "counts": {"new": 1, "duplicate": 0, "rejected": 1},
                    "results": [
                        {
                            "name": "RunPeriod-2021-08/Run080464/CDC_straw_occupancy.png",
                            "status": "new",
                            "reason": "",
                            "plot": {"id": 1234, "image_url": "https://…", "thumbnail_url": "https://…"},
                        },
                        {
                            "name": "RunPeriod-2021-08/Run080464/FCAL_occupancy.png",
                            "status": "rejected",
                            "reason": "not an image (unrecognised format)",
                            "plot": None,
                        },
                    ],
                },
            )
        ],
    )
    @action(detail=False, methods=["post"], url_path="bulk", filter_backends=[], pagination_class=None)
    def bulk(self, request):
        form = serializers.BulkUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        upload = BulkUpload(
            experiment=data["experiment"],
            campaign=data["campaign"].strip() or "online",
            create=data["create"],
            run=data.get("run"),
            run_period=data["run_period"].strip() or "default",
            training_weight=data["training_weight"],
        )
        upload.add_files(data.get("images", []), data.get("paths"))
        if data.get("archive") is not None:
            upload.open_archive(data["archive"])
        outcomes = upload.ingest()
        body = {
            "experiment": data["experiment"].slug,
            "counts": {s: sum(1 for o in outcomes if o.status == s) for s in ("new", "duplicate", "rejected")},
            "results": self._results(request, outcomes),
        }
        if body["counts"]["rejected"] == len(outcomes):
            raise ApiError(400, "all_rejected", f"every one of the {len(outcomes)} files was rejected", body)
        return Response(body)

    def _results(self, request, outcomes) -> list[dict]:
        ids = {o.plot.pk for o in outcomes if o.plot is not None and o.plot.pk is not None}
        plots = Plot.objects.only("id", "image", "thumbnail").in_bulk(ids)
        results = []
        for o in outcomes:
            plot = plots.get(o.plot.pk) if o.plot is not None else None
            results.append(
                {
                    "name": o.name,
                    "status": o.status,
                    "reason": o.reason,
                    "plot": None
                    if plot is None
                    else {
                        "id": plot.pk,
                        "image_url": request.build_absolute_uri(plot.image_url),
                        "thumbnail_url": request.build_absolute_uri(plot.thumbnail_url),
                    },
                }
            )
        return results

    @extend_schema(
        summary="Label history of a plot",
        description="Every label this plot was given, newest first; the first one is its current label.",
        responses={200: LabelSerializer(many=True), **error_responses(400, 401, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def labels(self, request, pk=None):
        plot = get_object_or_404(Plot.objects.only("id"), pk=pk)
        history = Label.objects.filter(plot=plot).select_related("label_class", "user")
        page = self.paginate_queryset(history)
        return self.get_paginated_response(LabelSerializer(page, many=True, context={"request": request}).data)
