"""Shift briefs over the API: list and read (open like the rest); preview, write, note and send need
the Labeler, Shift crew or Detector expert role."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.briefs import services
from apps.briefs.api import serializers
from apps.briefs.models import Brief
from apps.briefs.permissions import WRITE_MESSAGE, can_write
from apps.core.api.viewsets import BaseViewSet
from apps.core.permissions import reads_open_writes_need


def _send(brief, user):
    try:
        return services.send(brief, user)
    except DjangoValidationError as exc:
        error = exceptions.ValidationError({"detail": exc.messages})
        error.status_code = 409
        raise error from None


CanWriteOrReadOnly = reads_open_writes_need(can_write, WRITE_MESSAGE)


class BriefViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    """Briefs, newest first; filter with ``experiment`` (slug) and ``status`` (draft, sent)."""

    queryset = Brief.objects.select_related("experiment", "written_by", "created_by", "sent_by")
    serializer_class = serializers.BriefSerializer
    permission_classes = [CanWriteOrReadOnly]
    cursor_order = ("-id",)

    def get_serializer_class(self):
        return serializers.BriefSerializer if self.action == "list" else serializers.BriefDetailSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        params = self.request.query_params
        if params.get("experiment"):
            qs = qs.filter(experiment__slug=params["experiment"])
        status = params.get("status")
        if status:
            if status not in ("draft", "sent"):
                raise exceptions.ValidationError({"status": ["Choose draft or sent."]})
            qs = qs.filter(status=status)
        return qs.defer("content", "text") if self.action == "list" else qs

    @extend_schema(
        request=serializers.BriefRequestSerializer,
        responses={200: serializers.BriefDetailSerializer, 201: serializers.BriefDetailSerializer},
    )
    def create(self, request):
        """Compute the brief of an experiment over ``since``–``until``: a preview (``preview``: not kept),
        a draft, or a sent brief (``send``)."""
        body = serializers.BriefRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        try:
            if d["preview"]:
                brief = services.preview(d["experiment"], d["since"], d["until"], d["shift_name"], d["note"])
                return Response(serializers.BriefDetailSerializer(brief).data)
            brief = services.write(
                d["experiment"], d["since"], d["until"], request.user, d["shift_name"], d["note"], send_now=d["send"]
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"detail": exc.messages}) from None
        return Response(serializers.BriefDetailSerializer(brief).data, status=201)

    @extend_schema(
        request=serializers.NoteSerializer,
        responses={200: serializers.BriefDetailSerializer, 409: OpenApiResponse(description="Sent already.")},
    )
    def partial_update(self, request, pk=None):
        """Write the note for the next shift (drafts only)."""
        brief = self.get_object()
        body = serializers.NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            brief = services.set_note(brief, body.validated_data["note"], request.user)
        except DjangoValidationError as exc:
            error = exceptions.ValidationError({"detail": exc.messages})
            error.status_code = 409
            raise error from None
        return Response(serializers.BriefDetailSerializer(brief).data)

    @extend_schema(request=None, responses={200: serializers.BriefDetailSerializer})
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Send the brief (e-mail and logbook, once); ``sent_now`` is false when it had been sent already."""
        brief, did = _send(self.get_object(), request.user)
        return Response({**serializers.BriefDetailSerializer(brief).data, "sent_now": did})
