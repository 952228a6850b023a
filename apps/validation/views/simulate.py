"""Make a simulated-Bad set from a page: the same service as ``manage.py simulate_failures``."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from apps.experiments.selection import current_experiment
from apps.plots.models import Plot
from apps.validation.forms import SimulateForm
from apps.validation.permissions import may_simulate, run_required
from apps.validation.simulation import SimulationError, simulate


@run_required(may_simulate, "make simulated plots")
def simulate_page(request):
    experiment = current_experiment(request)
    form = SimulateForm(
        request.POST or None, experiment=experiment, initial={"plot_type": request.GET.get("plot_type")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = simulate(
                data["plot_type"], list(data["modes"]), data["count"], user=request.user, campaign=data["campaign"]
            )
        except SimulationError as exc:
            messages.error(request, str(exc))
        else:
            (messages.warning if result.skipped else messages.success)(request, result.summary())
            return redirect(f"{reverse('validation-simulate')}?plot_type={data['plot_type'].pk}")
    recent = Plot.objects.none()
    if experiment is not None:
        recent = (
            Plot.objects.filter(experiment=experiment, campaign__kind="simulation")
            .exclude(simulated_failure="")
            .select_related("plot_type", "label_class", "campaign")
            .order_by("-id")[:24]
        )
    return render(
        request,
        "validation/simulate.html",
        {"form": form, "experiment": experiment, "recent": recent},
    )
