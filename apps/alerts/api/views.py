"""Alarms, rules and silences over the API: reads open like the rest; acknowledging and silencing
need the Shift crew or Detector expert role, writing rules the Detector expert role."""

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.alerts import services
from apps.alerts.api import serializers
from apps.alerts.filtersets import AlarmFilterSet
from apps.alerts.models import Alarm, Rule, Silence
from apps.alerts.permissions import can_acknowledge, can_edit_rules
from apps.audit import record
from apps.core.api.viewsets import BaseViewSet, ModelViewSet, ReadOnlyModelViewSet
from apps.core.permissions import reads_open_writes_need

CanEditRulesOrReadOnly = reads_open_writes_need(
    can_edit_rules, "Writing alarm rules needs the Detector expert or Admin role."
)
CanAcknowledgeOrReadOnly = reads_open_writes_need(
    can_acknowledge, "Acknowledging and silencing alarms needs the Shift crew or Detector expert role."
)


def _conflict(exc: DjangoValidationError):
    error = exceptions.ValidationError({"detail": exc.messages})
    error.status_code = 409
    return error


class AlarmViewSet(ReadOnlyModelViewSet):
    """Alarms, firing first, then acknowledged, then resolved (newest first in each); filter with
    ``state``, ``open``, ``plot_type``, ``group``, ``rule``, ``reason``, ``experiment``."""

    queryset = Alarm.objects.select_related("experiment", "plot_type", "rule", "acknowledged_by", "resolved_by")
    serializer_class = serializers.AlarmSerializer
    filterset_class = AlarmFilterSet
    permission_classes = [CanAcknowledgeOrReadOnly]
    cursor_order = ("state_order", "-id")

    def get_serializer_class(self):
        return serializers.AlarmDetailSerializer if self.action == "retrieve" else super().get_serializer_class()

    def get_queryset(self):
        qs = super().get_queryset()
        return qs.prefetch_related("events__actor") if self.action == "retrieve" else qs

    @extend_schema(
        request=serializers.AcknowledgeSerializer,
        responses={200: serializers.AlarmSerializer, 409: OpenApiResponse(description="Not firing.")},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Firing → acknowledged, with an optional comment; escalation and repeats stop."""
        alarm = self.get_object()
        body = serializers.AcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            alarm = services.acknowledge(alarm, request.user, body.validated_data["comment"])
        except DjangoValidationError as exc:
            raise _conflict(exc) from None
        return Response(serializers.AlarmSerializer(alarm).data)

    @extend_schema(request=serializers.SilenceRequestSerializer, responses={201: serializers.SilenceSerializer})
    @action(detail=True, methods=["post"])
    def silence(self, request, pk=None):
        """Hold this alarm's notifications (its plot type, or its whole rule) for ``hours``, with a reason."""
        alarm = self.get_object()
        body = serializers.SilenceRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        scope = {"rule": alarm.rule} if data["scope"] == "rule" else {"plot_type": alarm.plot_type}
        try:
            held = services.silence(
                alarm.experiment,
                request.user,
                timezone.now() + timedelta(hours=data["hours"]),
                data["reason"],
                alarm=alarm,
                **scope,
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"detail": exc.messages}) from None
        return Response(serializers.SilenceSerializer(held).data, status=201)

    @extend_schema(
        request=None,
        responses={200: serializers.AlarmSerializer, 409: OpenApiResponse(description="Already resolved.")},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Resolve by hand (the rule resolves by itself after its Good runs)."""
        try:
            alarm = services.resolve(self.get_object(), request.user, "resolved by hand")
        except DjangoValidationError as exc:
            raise _conflict(exc) from None
        return Response(serializers.AlarmSerializer(alarm).data)


class RuleViewSet(ModelViewSet):
    """Alarm rules: scope (a plot type or a plot group), condition, hysteresis, flicker and routing."""

    queryset = Rule.objects.select_related("experiment")
    serializer_class = serializers.RuleSerializer
    permission_classes = [CanEditRulesOrReadOnly]
    cursor_order = ("-id",)
    filterset_fields = ["plot_type", "plot_group", "kind", "enabled"]

    def perform_create(self, serializer):
        with transaction.atomic():
            rule = serializer.save(created_by=self.request.user)
            record(self.request.user, "alarm.rule", rule, created=True)

    def perform_update(self, serializer):
        with transaction.atomic():
            rule = serializer.save()
            record(self.request.user, "alarm.rule", rule, changed=sorted(serializer.validated_data))

    def perform_destroy(self, instance):
        with transaction.atomic():
            record(self.request.user, "alarm.rule.delete", instance, name=instance.name)
            instance.delete()


class SilenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    """Silences, newest end first; ``?active=true`` for those holding now. Create one with an alarm's ``silence``."""

    queryset = Silence.objects.select_related("experiment", "created_by")
    serializer_class = serializers.SilenceSerializer
    cursor_order = ("-id",)

    def get_queryset(self):
        qs = super().get_queryset()
        if self.request.query_params.get("active") == "true":
            now = timezone.now()
            qs = qs.filter(starts_at__lte=now, ends_at__gt=now)
        return qs
