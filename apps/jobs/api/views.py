import django_filters as filters
from rest_framework import viewsets

from apps.core.api.schema import ID_PATTERN
from apps.jobs.api.serializers import JobSerializer
from apps.jobs.models import Job


class JobFilterSet(filters.FilterSet):
    kind = filters.CharFilter(help_text="Kind of job, e.g. ingest or train.")
    status = filters.ChoiceFilter(choices=Job.Status.choices, help_text="queued, running, done or failed.")

    class Meta:
        model = Job
        fields = []


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """Background jobs, newest first, with progress, message and log."""

    queryset = Job.objects.select_related("created_by")
    serializer_class = JobSerializer
    filterset_class = JobFilterSet
    cursor_order = ("-id",)
    lookup_value_regex = ID_PATTERN
