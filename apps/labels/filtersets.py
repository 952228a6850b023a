"""The labels' FilterSets for the API: label classes and labels."""

import django_filters as filters

from apps.core.api.filters import IntegerFilter
from apps.experiments.filtersets import ExperimentFilter
from apps.labels.choices import Meaning
from apps.labels.models import Label, LabelClass
from apps.plots.models import PlotType


class LabelClassFilterSet(filters.FilterSet):
    experiment = ExperimentFilter()
    name = filters.CharFilter(help_text="Exactly this name.")
    meaning = filters.ChoiceFilter(choices=Meaning.choices, help_text="good, bad, nodata or other.")

    class Meta:
        model = LabelClass
        fields = []


class LabelFilterSet(filters.FilterSet):
    experiment = ExperimentFilter("plot__experiment")
    plot = IntegerFilter(field_name="plot_id", max_value=2**63 - 1, help_text="Plot id.")
    plot_type = filters.ModelMultipleChoiceFilter(
        field_name="plot__plot_type", queryset=PlotType.objects.all(), help_text="Plot type id (repeat)."
    )
    label_class = filters.ModelChoiceFilter(queryset=LabelClass.objects.all(), help_text="Label class id.")
    user = filters.CharFilter(field_name="user__username", help_text="Username of who labeled.")
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", help_text="ISO 8601.")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="ISO 8601.")

    class Meta:
        model = Label
        fields = []
