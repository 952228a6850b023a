import django_filters as filters

from apps.core.api.viewsets import ReadOnlyModelViewSet
from apps.jobs.api.serializers import JobSerializer
from apps.jobs.models import Job


class JobFilterSet(filters.FilterSet):
    kind = filters.CharFilter(help_text="Kind of job, e.g. ingest or train.")
    status = filters.ChoiceFilter(choices=Job.Status.choices, help_text="queued, running, done or failed.")

    class Meta:
        model = Job
        fields = []


class JobViewSet(ReadOnlyModelViewSet):
    """Background jobs, newest first, with progress, message and log."""

    queryset = Job.objects.select_related("created_by")
    serializer_class = JobSerializer
    filterset_class = JobFilterSet
    cursor_order = ("-id",)
