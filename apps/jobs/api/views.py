from apps.core.api.viewsets import ReadOnlyModelViewSet
from apps.jobs.api.serializers import JobSerializer
from apps.jobs.filtersets import JobFilterSet
from apps.jobs.models import Job


class JobViewSet(ReadOnlyModelViewSet):
    """Background jobs, newest first, with progress, message and log."""

    queryset = Job.objects.select_related("created_by")
    serializer_class = JobSerializer
    filterset_class = JobFilterSet
    cursor_order = ("-id",)
