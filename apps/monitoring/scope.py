"""What one training request covers: by default one shared model over every plot type of the experiment.

``shared`` (the default of the API, the train form and ``manage.py train``): one model learns from
every plot type of the experiment that is not ignored and may classify each; ``shared_with`` narrows
it to the plot types named. ``type``: a model of this plot type alone (the explicit choice).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from apps.plots.models import PlotType

SHARED, PER_TYPE = "shared", "type"
SCOPES = (SHARED, PER_TYPE)
DEFAULT_SCOPE = SHARED
CHOICES = [
    (SHARED, "One shared model for every plot type of the experiment (default)"),
    (PER_TYPE, "A model of this plot type alone"),
]


def shared_with(plot_type: PlotType, scope: str = DEFAULT_SCOPE, named=()) -> list[PlotType]:
    """The other plot types a model trained from ``plot_type`` learns from, for ``scope``."""
    named = [t for t in named if t.pk != plot_type.pk]
    if scope not in SCOPES:
        raise ValidationError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    if scope == PER_TYPE:
        if named:
            raise ValidationError("scope 'type' trains one plot type alone: leave shared_with empty")
        return []
    if named:
        return named
    return list(
        PlotType.objects.filter(experiment_id=plot_type.experiment_id, ignored=False)
        .exclude(pk=plot_type.pk)
        .order_by("name")
    )
