"""One FilterSet for alarms, shared by the alarm list page and the API."""

import django_filters as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.alerts.choices import Reason, State
from apps.alerts.models import Alarm, Rule
from apps.core.integers import IdChoiceFilter
from apps.experiments.filtersets import ExperimentFilter
from apps.plots.models import PlotGroup, PlotType


class AlarmFilterSet(filters.FilterSet):
    experiment = ExperimentFilter()
    state = filters.ChoiceFilter(choices=State.choices, help_text="firing, acknowledged or resolved.")
    open = filters.BooleanFilter(method="filter_open", help_text="true: firing or acknowledged; false: resolved.")
    reason = filters.ChoiceFilter(choices=Reason.choices, help_text="bad, unconfirmed, flicker, validation, stale.")
    plot_type = IdChoiceFilter(queryset=PlotType.objects.all(), help_text="Plot type id.")
    group = IdChoiceFilter(
        queryset=PlotGroup.objects.all(),
        method="filter_group",
        help_text="Plot group id: alarms of its plot types and of the groups under it.",
    )
    rule = IdChoiceFilter(queryset=Rule.objects.all(), help_text="Rule id.")

    class Meta:
        model = Alarm
        fields = []

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_open(self, qs, name, value):
        if value is None:
            return qs
        return qs.exclude(state=State.RESOLVED) if value else qs.filter(state=State.RESOLVED)

    @extend_schema_field(OpenApiTypes.INT)
    def filter_group(self, qs, name, group):
        types = PlotType.objects.filter(groups__in=group.descendant_ids()).values("id")
        return qs.filter(plot_type_id__in=types)
