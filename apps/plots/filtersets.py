"""The plots' FilterSets: the one for plots drives the plot browser page and the API alike; plot types and
groups have theirs for the API."""

import django_filters as filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.core.integers import MAX_DB_INT, IdChoiceFilter, IdMultipleChoiceFilter, range_error
from apps.experiments.filtersets import ConditionsFilter, ExperimentFilter
from apps.experiments.models import Campaign, RunPeriod
from apps.labels.models import LabelClass
from apps.plots.choices import GroupKind
from apps.plots.models import Plot, PlotGroup, PlotType

UNLABELED = "unlabeled"
MAX_ID = MAX_DB_INT

# Sort keys offered to users → the (column, ...) order; every order ends on id so it is total.
SORTS = {
    "-run": ("-run_number", "-id"),
    "run": ("run_number", "id"),
    "-ingested": ("-id",),
    "ingested": ("id",),
    "plot_type": ("plot_type_id", "-run_number", "-id"),
    # Confidence sorts list classified plots only: an unclassified plot has no place in that order.
    "-confidence": ("-verdict_confidence", "-id"),
    "confidence": ("verdict_confidence", "id"),
}
CONFIDENCE_SORTS = ("-confidence", "confidence")
UNCLASSIFIED = "none"
DEFAULT_SORT = "-run"


class LabelChoiceField(forms.CharField):
    """A label class id, or 'unlabeled'."""

    def clean(self, value):
        value = super().clean(value)
        if value in (None, "") or value == UNLABELED:
            return value
        if not (str(value).isascii() and str(value).isdigit()):
            raise forms.ValidationError("Use a label class id or 'unlabeled'.")
        if int(value) > MAX_ID:
            raise range_error(value)
        return int(value)


@extend_schema_field({"type": "string", "pattern": "^([0-9]+|unlabeled)$"})
class LabelFilter(filters.Filter):
    field_class = LabelChoiceField

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        if value == UNLABELED:
            return qs.filter(label_class__isnull=True)
        return qs.filter(label_class_id=value)


class VerdictChoiceField(forms.CharField):
    """A label class id, or 'none' for plots no model has classified."""

    def clean(self, value):
        value = super().clean(value)
        if value in (None, "") or value == UNCLASSIFIED:
            return value
        if not (str(value).isascii() and str(value).isdigit()):
            raise forms.ValidationError("Use a label class id or 'none'.")
        if int(value) > MAX_ID:
            raise range_error(value)
        return int(value)


@extend_schema_field(OpenApiTypes.STR)
class VerdictFilter(filters.Filter):
    field_class = VerdictChoiceField

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        if value == UNCLASSIFIED:
            return qs.filter(verdict_class__isnull=True)
        return qs.filter(verdict_class_id=value)


class PlotFilterSet(filters.FilterSet):
    experiment = ExperimentFilter()
    run_period = IdChoiceFilter(queryset=RunPeriod.objects.all(), help_text="Run period id.")
    run_min = filters.NumberFilter(
        field_name="run_number", lookup_expr="gte", min_value=0, max_value=MAX_ID, help_text="Lowest run."
    )
    run_max = filters.NumberFilter(
        field_name="run_number", lookup_expr="lte", min_value=0, max_value=MAX_ID, help_text="Highest run."
    )
    run = filters.NumberFilter(
        field_name="run_number", min_value=0, max_value=MAX_ID, help_text="Exactly this run number."
    )
    conditions = ConditionsFilter(field_name="run_id", number_field="run_number")
    campaign = IdChoiceFilter(queryset=Campaign.objects.all(), help_text="Campaign id.")
    # distinct=False: a foreign-key IN never repeats a row, and DISTINCT makes MySQL sort every match.
    plot_type = IdMultipleChoiceFilter(
        queryset=PlotType.objects.all(), distinct=False, help_text="Plot type id (repeat)."
    )
    group = IdChoiceFilter(
        queryset=PlotGroup.objects.all(),
        method="filter_group",
        help_text="Plot group id; a super group selects every plot type under it.",
    )
    detector = filters.CharFilter(method="filter_detector", help_text="Detector or system name.")
    label = LabelFilter(help_text="Label class id, or 'unlabeled'.")
    verdict = VerdictFilter(help_text="The model's verdict: a label class id, or 'none' for unclassified plots.")
    confirmed = filters.BooleanFilter(
        field_name="verdict_confirmed", help_text="Verdicts that reached (true) or missed (false) their threshold."
    )
    confidence_min = filters.NumberFilter(
        field_name="verdict_confidence", lookup_expr="gte", min_value=0, max_value=1, help_text="Lowest confidence."
    )
    confidence_max = filters.NumberFilter(
        field_name="verdict_confidence", lookup_expr="lte", min_value=0, max_value=1, help_text="Highest confidence."
    )
    sort = filters.ChoiceFilter(
        choices=[(k, k) for k in SORTS], method="filter_sort", empty_label=None, help_text="Sort order."
    )

    class Meta:
        model = Plot
        fields = []

    # Plot-type conditions are resolved to a literal id list first (one tiny query): a join or subquery
    # on plot types lets MySQL start from that small table and sort every matching plot, losing the
    # (…, run_number, id) index order that keyset pages rely on.
    @extend_schema_field(OpenApiTypes.INT)
    def filter_group(self, qs, name, group):
        type_ids = PlotType.objects.filter(groups__in=group.descendant_ids()).values_list("id", flat=True)
        return qs.filter(plot_type_id__in=sorted(set(type_ids)))

    def filter_detector(self, qs, name, value):
        return qs.filter(plot_type_id__in=list(PlotType.objects.filter(detector=value).values_list("id", flat=True)))

    def filter_sort(self, qs, name, value):
        # Ordering is applied by the paginator from `sort_key`.
        if value in CONFIDENCE_SORTS:
            return qs.filter(verdict_confidence__isnull=False)
        return qs

    @property
    def sort_key(self) -> str:
        if self.is_bound and self.form.is_valid():
            return self.form.cleaned_data.get("sort") or DEFAULT_SORT
        return DEFAULT_SORT

    @property
    def qs(self):
        # Ignored plot types are kept but never shown; a tiny NOT IN, no join on the plot table.
        ignored = list(PlotType.objects.filter(ignored=True).values_list("id", flat=True))
        return super().qs.exclude(plot_type_id__in=ignored) if ignored else super().qs


def label_classes_for(experiment):
    return LabelClass.objects.filter(experiment=experiment)


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
