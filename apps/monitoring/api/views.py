from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import QueryDict
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.viewsets import ReadOnlyModelViewSet
from apps.jobs.api.serializers import JobSerializer
from apps.monitoring import registry, scope, services
from apps.monitoring.api import serializers
from apps.monitoring.filtersets import ClassificationFilterSet, ClassifierModelFilterSet
from apps.monitoring.models import ActiveModel, Classification, ClassifierModel
from apps.monitoring.permissions import can_train
from apps.plots.filtersets import PlotFilterSet
from apps.plots.models import Plot

# One job carries its plot ids; more than this is a request to narrow down.
CLASSIFY_MAX_PLOTS = 100_000


def _translate(call):
    """Run a service call, turning Django's permission and validation errors into API errors."""
    try:
        return call()
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from None
    except DjangoValidationError as exc:
        raise exceptions.ValidationError({"detail": exc.messages}) from None


class ClassifierModelViewSet(ReadOnlyModelViewSet):
    """Trained classifiers per plot type: status, metrics, thresholds, curves. Train and activate with actions."""

    queryset = ClassifierModel.objects.select_related("plot_type", "created_by").prefetch_related("plot_types")
    serializer_class = serializers.ClassifierModelSerializer
    filterset_class = ClassifierModelFilterSet
    cursor_order = ("-id",)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["active_ids"] = set(ActiveModel.objects.values_list("model_id", flat=True))
        return context

    @extend_schema(
        request=serializers.TrainSerializer,
        responses={
            202: OpenApiResponse(description="Training queued: the model and its job."),
            200: OpenApiResponse(description="Skipped: a model already learned from the same data and settings."),
        },
    )
    @action(detail=False, methods=["post"])
    def train(self, request):
        """Queue training of a new model (needs monitoring.add_classifiermodel).

        By default (``scope`` "shared") one model learns from every plot type of the experiment;
        ``scope`` "type" trains a model of the plot type alone. Once trained, it becomes active only
        where the activation gate lets it (see ``gate`` on the model).
        """
        if not can_train(request.user):
            raise exceptions.PermissionDenied("Training needs the permission monitoring.add_classifiermodel.")
        body = serializers.TrainSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        req = _translate(
            lambda: services.request_training(
                data["plot_type"],
                user=request.user,
                architecture=data["architecture"],
                hyper_parameters=data["hyper_parameters"],
                parent=data.get("parent"),
                force=data["force"],
                activate=data.get("activate"),
                shared_with=scope.shared_with(data["plot_type"], data["scope"], data.get("shared_with", [])),
            )
        )
        context = self.get_serializer_context()
        if req.skipped:
            return Response(
                {
                    "skipped": True,
                    "reason": "the training data is unchanged",
                    "model": serializers.ClassifierModelSerializer(req.unchanged, context=context).data,
                },
                status=status.HTTP_200_OK,
            )
        return Response(
            {
                "skipped": False,
                "model": serializers.ClassifierModelSerializer(req.model, context=context).data,
                "job": JobSerializer(req.job).data,
            },
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(request=serializers.ActivateSerializer, responses=serializers.ActivationSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """Make this model the active one of its plot types (needs monitoring.activate_model); logged.

        A model the activation gate found worse (``gate.worse``) needs a ``reason``: 400 without one.
        """
        model = self.get_object()
        body = serializers.ActivateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = _translate(lambda: registry.activate(model, request.user, body.validated_data["note"]))
        return Response(serializers.ActivationSerializer(entry).data)

    @extend_schema(request=serializers.ThresholdSerializer, responses=serializers.ClassifierModelSerializer)
    @action(detail=True, methods=["post"])
    def thresholds(self, request, pk=None):
        """Set one class's threshold (needs monitoring.change_classifiermodel); the entry names the user."""
        model = self.get_object()
        body = serializers.ThresholdSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _translate(
            lambda: registry.set_threshold(
                model, body.validated_data["label"], body.validated_data["value"], request.user
            )
        )
        return Response(self.get_serializer(model).data)


class ClassificationViewSet(ReadOnlyModelViewSet):
    """Every verdict of every model, newest first: filter by plot type, run, verdict, confirmation, time."""

    queryset = Classification.objects.select_related("verdict_class")
    serializer_class = serializers.ClassificationSerializer
    filterset_class = ClassificationFilterSet
    cursor_order = ("-id",)

    @extend_schema(
        summary="Classify stored plots",
        description=(
            "Queues classification of plots already stored, by ids (`plots`) or by plot filters (`filters`, "
            "those of GET /api/v1/plots/), with the active model of each plot's type; plots of types without "
            "an active model are counted as skipped. Needs monitoring.add_classifiermodel. Answers 202 with "
            "the job; follow it at /api/v1/jobs/{id}/."
        ),
        request=serializers.ClassifyRequestSerializer,
        responses={202: OpenApiResponse(description="Queued: the job, and how many plots it classifies.")},
    )
    def create(self, request):
        if not can_train(request.user):
            raise exceptions.PermissionDenied("Classifying plots needs the permission monitoring.add_classifiermodel.")
        body = serializers.ClassifyRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        plots = self._plots(body.validated_data)
        found = plots.count()
        if found > CLASSIFY_MAX_PLOTS:
            raise exceptions.ValidationError(
                {"filters": [f"{found:,} plots match, over the limit of {CLASSIFY_MAX_PLOTS:,}: narrow them down"]}
            )
        plots = list(plots.only("id", "plot_type_id"))
        title = f"Classify {len(plots)} stored plots"
        job = services.queue_classification(plots, user=request.user, title=title)
        queued = len(job.params["plot_ids"]) if job is not None else 0
        if job is None:
            raise exceptions.ValidationError(
                {"non_field_errors": [f"none of the {found} matching plots has a plot type with an active model"]}
            )
        return Response(
            {"job": JobSerializer(job).data, "plots": queued, "skipped": found - queued},
            status=status.HTTP_202_ACCEPTED,
        )

    def _plots(self, data):
        if "plots" in data:
            ids = set(data["plots"])
            plots = Plot.objects.filter(pk__in=ids)
            missing = ids - set(plots.values_list("pk", flat=True))
            if missing:
                raise exceptions.ValidationError({"plots": [f"no plot with id {', '.join(map(str, sorted(missing)))}"]})
            return plots
        filters = PlotFilterSet(data=_query_dict(data["filters"]), queryset=Plot.objects.all())
        unknown = sorted(set(data["filters"]) - set(filters.filters))
        if unknown:
            raise exceptions.ValidationError({"filters": [f"unknown filter: {', '.join(unknown)}"]})
        if not filters.is_valid():
            raise exceptions.ValidationError({"filters": filters.errors})
        return filters.qs.order_by()


def _query_dict(values: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in values.items():
        query.setlist(key, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    return query
