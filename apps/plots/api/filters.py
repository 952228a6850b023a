import django_filters as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.experiments.filtering import ExperimentFilter
from apps.plots.choices import GroupKind
from apps.plots.models import PlotGroup, PlotType


class PlotTypeFilterSet(filters.FilterSet):
    experiment = ExperimentFilter()
    name = filters.CharFilter(help_text="Exactly this name.")
    name_contains = filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Name contains.")
    detector = filters.CharFilter(help_text="Detector or system name.")
    group = filters.ModelChoiceFilter(
        queryset=PlotGroup.objects.all(),
        method="filter_group",
        help_text="Plot group id; a super group selects every plot type under it.",
    )
    ignored = filters.BooleanFilter(help_text="Only ignored plot types (true) or only shown ones (false).")

    class Meta:
        model = PlotType
        fields = []

    @extend_schema_field(OpenApiTypes.INT)
    def filter_group(self, qs, name, group):
        return qs.filter(groups__in=group.descendant_ids()).distinct()


class PlotGroupFilterSet(filters.FilterSet):
    experiment = ExperimentFilter()
    slug = filters.CharFilter(help_text="Exactly this slug.")
    kind = filters.ChoiceFilter(choices=GroupKind.choices, help_text="Kind of group.")
    parent = filters.ModelChoiceFilter(
        queryset=PlotGroup.objects.all(), field_name="parents", help_text="Groups directly inside this group id."
    )
    plot_type = filters.ModelChoiceFilter(
        queryset=PlotType.objects.all(), field_name="plot_types", help_text="Groups that directly hold this type id."
    )

    class Meta:
        model = PlotGroup
        fields = []
