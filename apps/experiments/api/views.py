from rest_framework import mixins

from apps.core.api.viewsets import ModelViewSet, ReadOnlyModelViewSet
from apps.core.permissions import reads_open_writes_need
from apps.experiments import filtersets
from apps.experiments.api import serializers
from apps.experiments.models import Campaign, Experiment, Run, RunPeriod

# Admins hold every permission of the portal's apps (apps.accounts.roles); experiments sit below
# accounts, so they name the permission rather than ask accounts' is_admin.
AdminOrReadOnly = reads_open_writes_need(
    "experiments.change_experiment", "Only admins may change the portal's configuration."
)
CanUpload = reads_open_writes_need(
    "plots.add_plot", "Uploading plots needs the permission plots.add_plot (ask an admin for the Detector expert role)."
)


class ExperimentViewSet(ModelViewSet):
    """Experiments (GlueX, CLAS12, ePIC...). Anyone who may read lists them; admins change them."""

    queryset = Experiment.objects.all()
    serializer_class = serializers.ExperimentSerializer
    filterset_class = filtersets.ExperimentFilterSet
    permission_classes = [AdminOrReadOnly]
    cursor_order = ("id",)


class RunPeriodViewSet(ReadOnlyModelViewSet):
    """Run periods; created on first sight by uploads and ingest."""

    queryset = RunPeriod.objects.select_related("experiment")
    serializer_class = serializers.RunPeriodSerializer
    filterset_class = filtersets.RunPeriodFilterSet
    cursor_order = ("-id",)


class RunViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyModelViewSet):
    """Runs, newest number first; created on first sight by uploads and ingest, or here with their
    conditions. Writing needs the upload permission (plots.add_plot); `conditions=` filters by an
    expression such as `beam_current > 100 and run_type == "production"`."""

    queryset = Run.objects.select_related("experiment", "run_period")
    serializer_class = serializers.RunSerializer
    filterset_class = filtersets.RunFilterSet
    permission_classes = [CanUpload]
    cursor_order = ("-number", "-id")


class CampaignViewSet(ReadOnlyModelViewSet):
    """Campaigns: online monitoring, offline versions, simulation and calibration passes."""

    queryset = Campaign.objects.select_related("experiment")
    serializer_class = serializers.CampaignSerializer
    filterset_class = filtersets.CampaignFilterSet
    cursor_order = ("-id",)
