"""The home page: every experiment's summary row, then the chosen experiment's latest runs and Bad plots."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.core import charts
from apps.core.permissions import read_required
from apps.dashboard import summaries
from apps.experiments.selection import current_experiment, experiments


@require_GET
@read_required
def home(request):
    """The experiment dashboard: the slides' summary table, then the chosen experiment's latest runs and Bad plots."""
    rows = summaries.summaries(experiments(request))
    current = current_experiment(request)
    context = {"rows": rows, "current": None}
    for row in rows:
        row.spark = charts.sparkline(row.hourly, label=f"{row.experiment.name}: plots per hour, last 24 hours")
        row.stack = charts.stacked_bar(row.by_class, label=f"{row.experiment.name} labels")
        if current is not None and row.experiment.pk == current.pk:
            context["current"] = row
    if current is not None:
        bad_ids = summaries.bad_class_ids(current)
        slots = summaries.hour_slots(timezone.now())
        hourly = context["current"].hourly if context["current"] else [0] * 24
        context.update(
            latest_runs=summaries.latest_runs(current, bad_ids),
            latest_bad=summaries.latest_bad_plots(current, bad_ids),
            cadence_chart=charts.bar_chart(
                hourly, [s.strftime("%H:00") for s in slots], title=f"{current.name}: plots ingested per hour"
            ),
        )
    return render(request, "dashboard/home.html", context)
