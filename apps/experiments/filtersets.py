"""The experiments' FilterSets, and the filters every app's FilterSets share: the experiment (by slug) and the
``conditions`` on runs (plots, runs, classifications)."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.db.models import BooleanField, Expression, F
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.core.api.filters import IntegerFilter
from apps.experiments.choices import CampaignKind
from apps.experiments.conditions import MAX_LENGTH, ConditionError, parse
from apps.experiments.models import Campaign, Experiment, Run, RunPeriod
from apps.experiments.production import RunChoice, choose_runs, choose_runs_cached

# The chosen runs (or, when shorter, the others) go into the query as a literal list of up to this
# many run numbers or ids. A literal list of run numbers lets a plot query scoped to one experiment
# walk its (experiment, run_number, id) index in order and stop after one page.
LITERAL_RUNS = 50_000

HELP = (
    'Run conditions, e.g. beam_current > 100 and run_type == "production" (and/or/not, parentheses, '
    "== != < <= > >=, in (...), @flag). See docs/conditions.md."
)


class ExperimentFilter(filters.ModelChoiceFilter):
    """An experiment named by its slug (``experiment=gluex``): the one way every FilterSet takes one.

    ``field_name`` is the path to the experiment (``plot_type__experiment`` for what hangs off a plot
    type); an unknown slug is a 400 that names the parameter.
    """

    def __init__(self, field_name: str = "experiment", **kwargs):
        kwargs.setdefault("queryset", Experiment.objects.all())
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("help_text", "Experiment slug.")
        super().__init__(field_name=field_name, **kwargs)


class ConditionsField(forms.CharField):
    """Text that must parse as a condition expression; cleans to the stripped text (or None)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", MAX_LENGTH)
        kwargs.setdefault("strip", True)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            parse(value)  # kept parsed (lru_cache) for the filter
            return value
        except ConditionError as exc:
            raise forms.ValidationError(str(exc), code="bad_condition") from None


@extend_schema_field(OpenApiTypes.STR)
class ConditionsFilter(filters.Filter):
    """Keep rows whose run satisfies the expression. ``field_name`` is the path to the run's id
    ("pk" on runs, "run_id" on plots, "plot__run_id" on classifications); ``number_field`` (optional,
    with ``experiment_field``) is the run-number column used when the query is scoped to one experiment."""

    field_class = ConditionsField

    def __init__(self, *args, number_field: str | None = None, **kwargs):
        kwargs.setdefault("help_text", HELP)
        self.number_field = number_field
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None or value == "":
            return qs
        experiment = None
        if self.parent is not None and self.parent.form.is_bound and hasattr(self.parent.form, "cleaned_data"):
            experiment = self.parent.form.cleaned_data.get("experiment")
        choice = choose_runs_cached(value, experiment) if isinstance(value, str) else choose_runs(value, experiment)
        return filter_by_runs(qs, choice, self.field_name, self.number_field, experiment)


def filter_by_runs(qs, choice: RunChoice, id_field: str, number_field: str | None = None, experiment=None):
    """``qs`` narrowed to the chosen runs: by run number when the query is scoped to one experiment
    (the plot indexes end on run number), else by run id; as the shorter of the chosen list and the
    list of the others (NOT IN)."""
    by_number = number_field is not None and experiment is not None
    column = number_field if by_number else id_field
    chosen = sorted(choice.chosen.values() if by_number else choice.chosen)
    if not chosen:
        return qs.none()
    rest = sorted(choice.rest.values() if by_number else choice.rest)
    if min(len(chosen), len(rest)) > LITERAL_RUNS:
        ids = list(choice.chosen)
        return qs.filter(**{f"{id_field}__in": Run.objects.filter(pk__in=ids).values("id")})
    if len(rest) < len(chosen):
        return qs.filter(InIntegers(column, rest, negated=True)) if rest else qs
    return qs.filter(InIntegers(column, chosen))


class InIntegers(Expression):
    """``column IN (1, 2, 3)`` (or NOT IN) with the integers written into the SQL.

    The lists come from the database (run ids and numbers) and are forced through int(), so they
    are safe to inline; Django's own ``__in`` prepares and binds every value, which for thousands
    of runs cost more than the query itself."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, values, negated: bool = False):
        super().__init__()
        self.column = F(column)
        self.values = [int(v) for v in values]
        self.negated = negated

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.column)
        ints = ",".join(map(str, self.values))
        return f"{sql} {'NOT IN' if self.negated else 'IN'} ({ints})", params


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
