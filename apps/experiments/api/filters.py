import django_filters as filters

from apps.core.api.filters import IntegerFilter
from apps.experiments.choices import CampaignKind
from apps.experiments.filtering import ConditionsFilter, ExperimentFilter
from apps.experiments.models import Campaign, Experiment, Run, RunPeriod


class ExperimentFilterSet(filters.FilterSet):
    slug = filters.CharFilter(help_text="Exactly this slug.")
    name = filters.CharFilter(lookup_expr="icontains", help_text="Name contains (any case).")

    class Meta:
        model = Experiment
        fields = []


class RunPeriodFilterSet(filters.FilterSet):
    experiment = ExperimentFilter()
    name = filters.CharFilter(help_text="Exactly this name.")

    class Meta:
        model = RunPeriod
        fields = []


class RunFilterSet(filters.FilterSet):
    experiment = ExperimentFilter()
    run_period = filters.ModelChoiceFilter(queryset=RunPeriod.objects.all(), help_text="Run period id.")
    number = IntegerFilter(help_text="Exactly this run number.")
    number_min = IntegerFilter(field_name="number", lookup_expr="gte", help_text="Lowest run number.")
    number_max = IntegerFilter(field_name="number", lookup_expr="lte", help_text="Highest run number.")
    conditions = ConditionsFilter(field_name="pk", number_field="number")

    class Meta:
        model = Run
        fields = []


class CampaignFilterSet(filters.FilterSet):
    experiment = ExperimentFilter()
    name = filters.CharFilter(help_text="Exactly this name.")
    kind = filters.ChoiceFilter(choices=CampaignKind.choices, help_text="Kind of campaign.")
    is_reference = filters.BooleanFilter(help_text="Only reference campaigns (true) or only others (false).")

    class Meta:
        model = Campaign
        fields = []
