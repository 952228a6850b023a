from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.schema import ID_PATTERN
from apps.jobs.api.serializers import JobSerializer
from apps.monitoring import services
from apps.monitoring.api import serializers
from apps.monitoring.filtersets import ClassificationFilterSet, ClassifierModelFilterSet
from apps.monitoring.models import ActiveModel, Classification, ClassifierModel
from apps.monitoring.permissions import can_train


def _translate(call):
    """Run a service call, turning Django's permission and validation errors into API errors."""
    try:
        return call()
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from None
    except DjangoValidationError as exc:
        raise exceptions.ValidationError({"detail": exc.messages}) from None


class ClassifierModelViewSet(viewsets.ReadOnlyModelViewSet):
    """Trained classifiers per plot type: status, metrics, thresholds, curves. Train and activate with actions."""

    queryset = ClassifierModel.objects.select_related("plot_type", "created_by").prefetch_related("plot_types")
    serializer_class = serializers.ClassifierModelSerializer
    filterset_class = ClassifierModelFilterSet
    cursor_order = ("-id",)
    lookup_value_regex = ID_PATTERN

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
        """Queue training of a new model (needs monitoring.add_classifiermodel)."""
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
                shared_with=data.get("shared_with", []),
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
        """Make this model the active one of its plot type (needs monitoring.activate_model); logged."""
        model = self.get_object()
        body = serializers.ActivateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = _translate(lambda: services.activate(model, request.user, body.validated_data["note"]))
        return Response(serializers.ActivationSerializer(entry).data)

    @extend_schema(request=serializers.ThresholdSerializer, responses=serializers.ClassifierModelSerializer)
    @action(detail=True, methods=["post"])
    def thresholds(self, request, pk=None):
        """Set one class's threshold (needs monitoring.change_classifiermodel); the entry names the user."""
        model = self.get_object()
        body = serializers.ThresholdSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _translate(
            lambda: services.set_threshold(
                model, body.validated_data["label"], body.validated_data["value"], request.user
            )
        )
        return Response(self.get_serializer(model).data)


class ClassificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Every verdict of every model, newest first: filter by plot type, run, verdict, confirmation, time."""

    queryset = Classification.objects.select_related("verdict_class")
    serializer_class = serializers.ClassificationSerializer
    filterset_class = ClassificationFilterSet
    cursor_order = ("-id",)
    lookup_value_regex = ID_PATTERN
