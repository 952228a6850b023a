"""The jobs' FilterSet for the API."""

import django_filters as filters

from apps.jobs.models import Job


class JobFilterSet(filters.FilterSet):
    kind = filters.CharFilter(help_text="Kind of job, e.g. ingest or train.")
    status = filters.ChoiceFilter(choices=Job.Status.choices, help_text="queued, running, done or failed.")

    class Meta:
        model = Job
        fields = []
