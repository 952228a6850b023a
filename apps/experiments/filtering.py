"""The ``conditions`` filter that every FilterSet choosing runs shares (plots, runs, classifications)."""

from __future__ import annotations

import django_filters as filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.experiments.conditions import MAX_LENGTH, ConditionError, Node, parse
from apps.experiments.models import Run

# Up to this many chosen runs the filter is a literal list (one small indexed query first); beyond,
# a subquery. A literal list of run numbers lets a plot query scoped to one experiment walk its
# (experiment, run_number, id) index in order and stop after one page.
LITERAL_RUNS = 5000

HELP = (
    'Run conditions, e.g. beam_current > 100 and run_type == "production" (and/or/not, parentheses, '
    "== != < <= > >=, in (...), @flag). See docs/conditions.md."
)


class ConditionsField(forms.CharField):
    """Text that must parse as a condition expression; cleans to the parsed tree (or None)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", MAX_LENGTH)
        kwargs.setdefault("strip", True)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return parse(value)
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
        tree = value if isinstance(value, Node) else parse(value)
        runs = Run.objects.filter(tree.q())
        experiment = None
        if self.parent is not None and self.parent.form.is_bound and hasattr(self.parent.form, "cleaned_data"):
            experiment = self.parent.form.cleaned_data.get("experiment")
        if experiment is not None:
            runs = runs.filter(experiment=experiment)
        if self.number_field and experiment is not None:
            numbers = list(runs.order_by("number").values_list("number", flat=True)[: LITERAL_RUNS + 1])
            if len(numbers) <= LITERAL_RUNS:
                return qs.filter(**{f"{self.number_field}__in": numbers}) if numbers else qs.none()
            return qs.filter(**{f"{self.number_field}__in": runs.values("number")})
        if self.field_name == "pk":
            return qs.filter(tree.q()) if experiment is None else qs.filter(pk__in=runs.values("id"))
        ids = list(runs.order_by("id").values_list("id", flat=True)[: LITERAL_RUNS + 1])
        if len(ids) <= LITERAL_RUNS:
            return qs.filter(**{f"{self.field_name}__in": ids}) if ids else qs.none()
        return qs.filter(**{f"{self.field_name}__in": runs.values("id")})
