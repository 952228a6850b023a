from django.db import transaction
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from apps.accounts.api.permissions import AdminOrReadOnly
from apps.core.api.exceptions import ApiError
from apps.core.api.schema import error_responses
from apps.core.api.viewsets import ModelViewSet, ReadOnlyModelViewSet
from apps.labels import filtersets
from apps.labels.api.serializers import LabelClassSerializer, LabelSerializer, LabelWriteSerializer
from apps.labels.models import Label, LabelClass
from apps.labels.services import apply_labels
from apps.plots.models import Plot

# One request labels at most this many plots; the labeler page sends 100 at a time.
MAX_LABELS_PER_REQUEST = 5000


class LabelClassViewSet(ModelViewSet):
    """Label classes per experiment (Good, Bad, NoData, HotChannel...). Admins change them."""

    queryset = LabelClass.objects.select_related("experiment")
    serializer_class = LabelClassSerializer
    filterset_class = filtersets.LabelClassFilterSet
    permission_classes = [AdminOrReadOnly]
    cursor_order = ("id",)


_LABEL_ITEM = {
    "type": "object",
    "required": ["plot", "label_class"],
    "properties": {
        "plot": {"type": "integer", "minimum": 1, "description": "Plot id."},
        "label_class": {
            "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "minLength": 1, "maxLength": 50}],
            "description": "Class id (integer) or name (string).",
        },
        "comment": {"type": "string", "maxLength": 500},
    },
}
LABEL_REQUEST_SCHEMA = {
    "oneOf": [_LABEL_ITEM, {"type": "array", "items": _LABEL_ITEM, "minItems": 1, "maxItems": MAX_LABELS_PER_REQUEST}]
}

LABEL_DESCRIPTION = """\
Label one plot (send an object) or many (send a list of objects). `label_class` is a class id
(integer) or a class name (string, looked up in the plot's experiment).

All or nothing: when any item is invalid (**400**: unknown plot or class, a class not valid for
the plot's type) or the user may not label one of the plot types (**403**: labeling grants, as in
the labeler), nothing is saved. Every label is kept as history; the newest is the plot's current
label. Answers **201** with the created label (object in, object out; list in, list out).
"""


class LabelViewSet(mixins.CreateModelMixin, ReadOnlyModelViewSet):
    """Labels, newest first, and labeling (single or bulk)."""

    queryset = Label.objects.select_related("label_class", "user")
    serializer_class = LabelSerializer
    filterset_class = filtersets.LabelFilterSet
    cursor_order = ("-id",)

    @extend_schema(
        summary="Label plots (one or many)",
        description=LABEL_DESCRIPTION,
        request={"application/json": LABEL_REQUEST_SCHEMA},
        responses={
            201: OpenApiResponse(LabelSerializer, description="The label (or a list of labels, for a list)."),
            **error_responses(400, 401, 403),
        },
        examples=[
            OpenApiExample("One plot", request_only=True, value={"plot": 1234, "label_class": "Bad", "comment": ""}),
            OpenApiExample(
                "Bulk",
                request_only=True,
                value=[
                    {"plot": 1234, "label_class": "Good"},
                    {"plot": 1235, "label_class": 2, "comment": "hot channel 17"},
                ],
            ),
        ],
    )
    def create(self, request, *args, **kwargs):
        payload = request.data
        single = isinstance(payload, dict)
        items = [payload] if single else payload
        if not isinstance(items, list) or not items:
            raise ApiError(400, "invalid", "send one label object or a non-empty list of them")
        if len(items) > MAX_LABELS_PER_REQUEST:
            raise ApiError(400, "invalid", f"at most {MAX_LABELS_PER_REQUEST} labels per request, got {len(items)}")
        form = LabelWriteSerializer(data=items, many=True)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors[0] if single else {"items": form.errors})
        pairs = self._resolve(form.validated_data, single)
        by_comment: dict[str, list[int]] = {}
        for i, item in enumerate(form.validated_data):
            by_comment.setdefault(item["comment"], []).append(i)
        created: list[Label | None] = [None] * len(pairs)
        with transaction.atomic():
            for comment, positions in by_comment.items():
                labels = apply_labels(
                    [pairs[i] for i in positions], user=request.user, comment=comment, check_permission=True
                )
                for i, label in zip(positions, labels, strict=True):
                    created[i] = label
        data = LabelSerializer(created, many=True, context={"request": request}).data
        return Response(data[0] if single else data, status=status.HTTP_201_CREATED)

    def _resolve(self, items: list[dict], single: bool) -> list[tuple]:
        """(plot, class) for each item; a 400 naming every item that cannot be resolved."""
        plots = Plot.objects.select_related("plot_type").in_bulk({item["plot"] for item in items})
        class_ids = {item["label_class"] for item in items if isinstance(item["label_class"], int)}
        names = {item["label_class"] for item in items if isinstance(item["label_class"], str)}
        by_id = LabelClass.objects.in_bulk(class_ids)
        experiments = {p.experiment_id for p in plots.values()}
        by_name = {
            (c.experiment_id, c.name): c
            for c in LabelClass.objects.filter(experiment_id__in=experiments, name__in=names)
        }
        pairs, errors = [], {}
        for i, item in enumerate(items):
            plot = plots.get(item["plot"])
            ref = item["label_class"]
            if plot is None:
                errors[i] = {"plot": [f"no plot with id {item['plot']}"]}
                continue
            cls = by_id.get(ref) if isinstance(ref, int) else by_name.get((plot.experiment_id, ref))
            if cls is None:
                errors[i] = {"label_class": [f"no label class {ref!r} in this plot's experiment"]}
                continue
            pairs.append((plot, cls))
        if errors:
            raise serializers.ValidationError(errors[0] if single else {"items": errors})
        return pairs
