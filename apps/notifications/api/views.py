"""The delivery log over the API: admins and detector experts read it and retry failed deliveries."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.audit import record
from apps.core.api.viewsets import ReadOnlyModelViewSet
from apps.notifications import services
from apps.notifications.filtersets import DeliveryFilterSet
from apps.notifications.models import Delivery
from apps.notifications.permissions import can_see_deliveries


class CanSeeDeliveries(permissions.BasePermission):
    message = "The delivery log is for admins and detector experts."

    def has_permission(self, request, view):
        return can_see_deliveries(request.user)


class DeliverySerializer(serializers.ModelSerializer):
    # Plain strings in the schema: an enum named "status" would collide with the jobs' one.
    channel = serializers.CharField(read_only=True, help_text="email, webhook, epics or logbook.")
    status = serializers.CharField(read_only=True, help_text="queued, sent or failed.")

    class Meta:
        model = Delivery
        fields = [
            "id",
            "channel",
            "target",
            "subject",
            "body",
            "payload",
            "source",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields


class DeliveryViewSet(ReadOnlyModelViewSet):
    """Notification deliveries, newest first; filter with ``channel``, ``status``, ``source``."""

    queryset = Delivery.objects.all()
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilterSet
    permission_classes = [CanSeeDeliveries]
    cursor_order = ("-id",)

    @extend_schema(
        request=None,
        responses={200: DeliverySerializer, 409: OpenApiResponse(description="Only failed deliveries are retried.")},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a failed delivery again with a fresh set of attempts; it is sent at once."""
        delivery = self.get_object()
        if not services.retry(delivery):
            error = exceptions.ValidationError(
                {"detail": [f"Delivery {delivery.pk} is {delivery.status}: only failed ones are retried."]}
            )
            error.status_code = 409
            raise error
        record(request.user, "notification.retry", delivery, target=delivery.spec)
        delivery.refresh_from_db()
        return Response(DeliverySerializer(delivery).data)
