"""One FilterSet per listable model: the validation overview page and the API share them."""

import django_filters as filters

from apps.core.integers import MAX_DB_INT as MAX_ID
from apps.experiments.filtersets import ExperimentFilter
from apps.validation.choices import ReportStatus
from apps.validation.models import EmbeddingSpace, ValidationReport, ValidationThreshold


class IdFilter(filters.NumberFilter):
    """An id: anything out of range matches nothing instead of failing in the database."""

    def filter(self, qs, value):
        if value is not None and not 0 <= value <= MAX_ID:
            return qs.none()
        return super().filter(qs, value)


class ValidationReportFilterSet(filters.FilterSet):
    experiment = ExperimentFilter()
    campaign = IdFilter(field_name="campaign_id", help_text="Id of the validated campaign.")
    reference = IdFilter(field_name="reference_id", help_text="Id of the reference campaign.")
    status = filters.ChoiceFilter(choices=ReportStatus.choices, help_text="pending, running, ready or failed.")

    class Meta:
        model = ValidationReport
        fields = []


class EmbeddingSpaceFilterSet(filters.FilterSet):
    plot_type = IdFilter(field_name="plot_type_id", help_text="Plot type id.")
    experiment = ExperimentFilter("plot_type__experiment")
    method = filters.CharFilter(help_text="autoencoder, pixels or classifier.")

    class Meta:
        model = EmbeddingSpace
        fields = []


class ValidationThresholdFilterSet(filters.FilterSet):
    plot_type = IdFilter(field_name="plot_type_id", help_text="Plot type id.")
    experiment = ExperimentFilter("plot_type__experiment")

    class Meta:
        model = ValidationThreshold
        fields = []
