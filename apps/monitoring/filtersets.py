"""FilterSets for models and classifications, shared by the API and the log page."""

import django_filters as filters
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.core.api.filters import IntegerFilter
from apps.core.integers import IdChoiceFilter, IdMultipleChoiceFilter
from apps.experiments.filtersets import ConditionsFilter, ExperimentFilter
from apps.labels.choices import Meaning
from apps.labels.models import LabelClass
from apps.monitoring.models import Classification, ClassifierModel
from apps.plots.models import PlotGroup, PlotType


class ClassifierModelFilterSet(filters.FilterSet):
    experiment = ExperimentFilter("plot_type__experiment")
    plot_type = IdChoiceFilter(
        queryset=PlotType.objects.all(),
        method="filter_plot_type",
        help_text="Plot type id: the models of that type and the shared models that serve it.",
    )
    plot_type_name = filters.CharFilter(
        method="filter_plot_type_name", help_text="Plot type name, like plot_type (shared models included)."
    )
    status = filters.ChoiceFilter(choices=ClassifierModel.Status.choices, help_text="queued, training, ready...")
    architecture = filters.CharFilter(help_text="compact, inception_v3, vgg16 or vit.")
    active = filters.BooleanFilter(method="filter_active", help_text="Only active (true) or inactive (false) models.")

    class Meta:
        model = ClassifierModel
        fields = []

    # A shared model is stored under one plot type and lists every type it serves in plot_types.
    @extend_schema_field(OpenApiTypes.INT)
    def filter_plot_type(self, qs, name, plot_type):
        return qs.filter(Q(plot_type=plot_type) | Q(plot_types=plot_type)).distinct()

    def filter_plot_type_name(self, qs, name, value):
        return qs.filter(Q(plot_type__name=value) | Q(plot_types__name=value)).distinct()

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_active(self, qs, name, value):
        if value is None:
            return qs
        from apps.monitoring.models import ActiveModel

        ids = ActiveModel.objects.values("model_id")
        return qs.filter(pk__in=ids) if value else qs.exclude(pk__in=ids)


class ClassificationFilterSet(filters.FilterSet):
    experiment = ExperimentFilter("plot_type__experiment")
    plot_type = IdMultipleChoiceFilter(queryset=PlotType.objects.all(), help_text="Plot type id(s).")
    group = IdChoiceFilter(
        queryset=PlotGroup.objects.all(),
        method="filter_group",
        help_text="Plot group id; a super group selects every plot type under it.",
    )
    plot = IntegerFilter(field_name="plot_id", help_text="Plot id.")
    model = IntegerFilter(field_name="model_id", help_text="Model id.")
    run = IntegerFilter(field_name="run_number", help_text="Exactly this run number.")
    run_min = IntegerFilter(field_name="run_number", lookup_expr="gte", help_text="Runs from this number.")
    run_max = IntegerFilter(field_name="run_number", lookup_expr="lte", help_text="Runs up to this number.")
    conditions = ConditionsFilter(field_name="plot__run_id", number_field="run_number")
    verdict = IdChoiceFilter(
        field_name="verdict_class", queryset=LabelClass.objects.all(), help_text="Verdict label class id."
    )
    verdict_name = filters.CharFilter(field_name="verdict_class__name", help_text="Verdict class name, e.g. Bad.")
    bad = filters.BooleanFilter(method="filter_bad", help_text="Only Bad verdicts (true) or only others (false).")
    confirmed = filters.BooleanFilter(help_text="Confirmed verdicts (true) or second-opinion ones (false).")
    since = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", help_text="From this time (ISO).")
    until = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="Before this time (ISO).")

    class Meta:
        model = Classification
        fields = []

    @extend_schema_field(OpenApiTypes.INT)
    def filter_group(self, qs, name, group):
        return qs.filter(plot_type__groups__in=group.descendant_ids()).distinct()

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_bad(self, qs, name, value):
        if value is None:
            return qs
        if value:
            return qs.filter(verdict_class__meaning=Meaning.BAD)
        return qs.exclude(verdict_class__meaning=Meaning.BAD)
