"""The validation overview (reports, per-plot-type models and thresholds) and the campaign report page."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.core.permissions import read_required
from apps.experiments.selection import current_experiment
from apps.jobs.models import Job
from apps.plots.models import Plot, PlotType, media_url
from apps.validation import reports, tasks
from apps.validation.choices import VERDICT_COLOURS, Verdict
from apps.validation.filtersets import ValidationReportFilterSet
from apps.validation.forms import MapForm, ReportForm, ThresholdForm, TrainForm
from apps.validation.models import (
    AutoencoderModel,
    EmbeddingSpace,
    SiameseModel,
    ValidationReport,
    ValidationThreshold,
)
from apps.validation.permissions import may_run, run_required


def _plot_type_rows(experiment) -> list[dict]:
    """One row per plot type: how many plots, its maps, models and thresholds."""
    types = list(
        PlotType.objects.filter(experiment=experiment, ignored=False).annotate(n_plots=Count("plots")).order_by("name")
    )
    ids = [t.pk for t in types]
    spaces: dict[int, list] = {}
    for space in EmbeddingSpace.objects.filter(plot_type_id__in=ids).order_by("method"):
        spaces.setdefault(space.plot_type_id, []).append(space)
    encoders = {
        a.plot_type_id: a
        for a in AutoencoderModel.objects.filter(plot_type_id__in=ids, is_active=True)
        .annotate(n_anomalous=Count("scores", filter=Q(scores__anomalous=True)))
        .order_by("created_at")
    }
    siamese = {s.plot_type_id: s for s in SiameseModel.objects.filter(plot_type_id__in=ids, is_active=True)}
    limits = {t.plot_type_id: t for t in ValidationThreshold.objects.filter(plot_type_id__in=ids)}
    return [
        {
            "type": t,
            "spaces": spaces.get(t.pk, []),
            "autoencoder": encoders.get(t.pk),
            "siamese": siamese.get(t.pk),
            "threshold": limits.get(t.pk) or ValidationThreshold(plot_type=t),
        }
        for t in types
    ]


@require_GET
@read_required
def overview(request):
    return overview_response(request)


def overview_response(request, status: int = 200, train_form: TrainForm | None = None):
    """The overview page; ``status`` 400 with the refused form when a request could not be started."""
    experiment = current_experiment(request)
    filterset = ValidationReportFilterSet(
        request.GET, queryset=ValidationReport.objects.select_related("campaign", "reference")
    )
    report_list = filterset.qs.filter(experiment=experiment) if experiment else filterset.qs.none()
    return render(
        request,
        "validation/overview.html",
        {
            "experiment": experiment,
            "reports": report_list[:50],
            "report_form": ReportForm(experiment=experiment),
            "map_form": MapForm(experiment=experiment),
            "train_form": train_form or TrainForm(experiment=experiment),
            "rows": _plot_type_rows(experiment) if experiment else [],
            "may_run": may_run(request.user),
            "verdict_colours": VERDICT_COLOURS,
            "recent_jobs": Job.objects.filter(kind__startswith="validation.").order_by("-id")[:8],
        },
        status=status,
    )


@require_POST
@run_required(may_run, "validate campaigns")
def report_create(request):
    experiment = current_experiment(request)
    form = ReportForm(request.POST, experiment=experiment)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}" if field != "__all__" else " ".join(errors))
        return redirect("validation")
    try:
        report = reports.get_or_create_report(
            form.cleaned_data["campaign"],
            form.cleaned_data["reference"],
            request.user,
            conditions=form.cleaned_data["conditions"],
        )
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("validation")
    tasks.start_report(report, user=request.user)
    messages.success(
        request, f"Validating {report.campaign} against {report.reference}: the report fills in as it computes."
    )
    return redirect(report)


def _report_context(report: ValidationReport) -> dict:
    results = list(report.results.select_related("plot_type", "worst_plot", "reference_plot").order_by("rank"))
    plot_ids = {e["plot"] for r in results for e in r.plots}
    thumbs = dict(Plot.objects.filter(pk__in=plot_ids).values_list("pk", "thumbnail"))
    for r in results:
        r.entries = [{**e, "thumbnail": media_url(thumbs[e["plot"]]) if e["plot"] in thumbs else ""} for e in r.plots]
    summary = report.summary or {}
    counts = summary.get("counts", {})
    return {
        "report": report,
        "results": results,
        "summary": summary,
        "counts": [(v, Verdict(v).label, counts.get(v, 0), VERDICT_COLOURS[v]) for v in Verdict.values],
        "verdict_colours": VERDICT_COLOURS,
        "job": report.job,
    }


@require_GET
@read_required
def report_page(request, pk: int):
    report = get_object_or_404(
        ValidationReport.objects.select_related("campaign", "reference", "experiment", "job"), pk=pk
    )
    context = {**_report_context(report), "may_run": may_run(request.user)}
    if request.GET.get("partial"):
        return render(request, "validation/_report_body.html", context)
    return render(request, "validation/report.html", context)


@require_POST
@run_required(may_run, "validate campaigns")
def report_recompute(request, pk: int):
    report = get_object_or_404(ValidationReport, pk=pk)
    tasks.start_report(report, user=request.user)
    messages.success(request, "Recomputing the report.")
    return redirect(report)


@require_POST
@run_required(may_run, "change validation thresholds")
def thresholds_save(request, plot_type: int):
    pt = get_object_or_404(PlotType, pk=plot_type)
    row = ValidationThreshold.objects.filter(plot_type=pt).first() or ValidationThreshold(plot_type=pt)
    form = ThresholdForm(request.POST, instance=row)
    if form.is_valid():
        saved = form.save(commit=False)
        saved.set_by, saved.updated_by = "user", request.user
        try:
            saved.full_clean()
        except Exception as exc:  # noqa: BLE001 - a ValidationError's message goes to the page
            messages.error(request, f"{pt.name}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
            return redirect("validation")
        saved.save()
        messages.success(request, f"Thresholds of {pt.name} saved; recompute a report to apply them.")
    else:
        messages.error(request, f"{pt.name}: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    return redirect("validation")
