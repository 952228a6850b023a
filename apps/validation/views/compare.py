"""Compare one plot to its reference: statistical similarity, difference map, Siamese score, autoencoder errors.

The page renders at once from numpy alone; the Siamese score and the error map need a Keras
model and arrive afterwards from their own URLs, so the page never waits for TensorFlow.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from apps.core.permissions import read_required
from apps.plots.models import Plot
from apps.validation import anomalies, model_inputs, plot_type_lines, reports, similarity
from apps.validation.choices import VERDICT_COLOURS
from apps.validation.models import AnomalyScore, ValidationResult
from ml import compare


def reference_for(plot: Plot, wanted: str | None = None) -> Plot | None:
    """The plot to compare with: the one asked for, the plot type's reference plot, or the reference campaign's."""
    pt = plot.plot_type
    if wanted and wanted.isdigit() and len(wanted) <= 18:
        chosen = Plot.objects.filter(pk=int(wanted), plot_type=pt).exclude(pk=plot.pk).first()
        if chosen:
            return chosen
    if pt.reference_plot_id and pt.reference_plot_id != plot.pk:
        return pt.reference_plot
    try:
        campaign = reports.choose_reference(plot.campaign)
    except reports.NoReference:
        return None
    same = Plot.objects.filter(plot_type=pt, campaign=campaign, run_number=plot.run_number, chunk=plot.chunk)
    latest = Plot.objects.filter(plot_type=pt, campaign=campaign, simulated_failure="").order_by("-run_number", "-id")
    return same.exclude(pk=plot.pk).first() or latest.exclude(pk=plot.pk).first()


def calibration_for(plot_type_id: int) -> compare.Calibration:
    """The run-to-run spread learned by the newest report that could learn it, else the defaults."""
    for cal in (
        ValidationResult.objects.filter(plot_type_id=plot_type_id, calibration__source="reference")
        .order_by("-report__computed_at")
        .values_list("calibration", flat=True)[:1]
    ):
        scales = cal.get("scales", {})
        if set(scales) >= set(compare.METRICS):
            return compare.Calibration({m: float(scales[m]) for m in compare.METRICS}, "reference", cal.get("count", 0))
    return compare.Calibration(dict(compare.DEFAULT_SCALES))


def _pair(pk: int, request):
    plot = get_object_or_404(Plot.objects.select_related("plot_type__reference_plot", "campaign", "label_class"), pk=pk)
    return plot, reference_for(plot, request.GET.get("reference"))


@require_GET
@read_required
def compare_page(request, pk: int):
    plot, reference = _pair(pk, request)
    context = {"plot": plot, "plot_type": plot.plot_type, "reference": reference, "verdict_colours": VERDICT_COLOURS}
    if reference is not None:
        a, b = model_inputs.prepared(plot), model_inputs.prepared(reference)
        reason = compare.non_comparable_reason(a, b)
        limits = reports.thresholds_for([plot.plot_type_id])[plot.plot_type_id]
        calibration = calibration_for(plot.plot_type_id)
        if reason:
            context.update(verdict="non_comparable", reason=reason)
        else:
            d = compare.distances(a, b)
            score = compare.similarity(d, calibration)
            lost = compare.lost_pads(a, b)
            context.update(
                distances=d.as_dict(),
                scales=calibration.as_dict()["scales"],
                calibration=calibration,
                score=score,
                verdict="fail" if lost else compare.verdict(score, limits["warn_below"], limits["fail_below"]),
                reason=plot_type_lines.pads_reason(lost, len(a.pads)) if lost else "",
            )
        context["limits"] = limits
        context["siamese_model"] = similarity.active(plot.plot_type_id)
    ae = anomalies.active(plot.plot_type_id)
    if ae is not None:
        context["autoencoder"] = ae
        context["anomaly"] = AnomalyScore.objects.filter(model=ae, plot=plot).first()
    # The same run in the other campaigns, one button each (simulated plots all share run 0).
    others = {}
    for other in (
        Plot.objects.filter(plot_type=plot.plot_type, run_number=plot.run_number, chunk=plot.chunk)
        .exclude(campaign_id=plot.campaign_id)
        .select_related("campaign")
        .order_by("campaign__name", "-id")[:50]
    ):
        others.setdefault(other.campaign_id, other)
    context["others"] = list(others.values())[:8]
    return render(request, "validation/compare.html", context)


@require_GET
@read_required
def compare_difference(request, pk: int):
    plot, reference = _pair(pk, request)
    if reference is None:
        raise Http404("no reference plot to compare with")
    a, b = model_inputs.prepared(plot), model_inputs.prepared(reference)
    if a is None or b is None or a.size != b.size:
        raise Http404("the two images cannot be compared pixel by pixel")
    response = HttpResponse(compare.difference_png(a, b, width=plot.width), content_type="image/png")
    response["Cache-Control"] = "public, max-age=600"
    return response


@require_GET
@read_required
def compare_siamese(request, pk: int):
    plot, reference = _pair(pk, request)
    row = similarity.active(plot.plot_type_id)
    if row is None or reference is None:
        return JsonResponse({"score": None, "message": "no Siamese model" if row is None else "no reference"})
    score = float(similarity.scores(row, [plot], reference)[0])
    limits = reports.thresholds_for([plot.plot_type_id])[plot.plot_type_id]
    verdict = compare.verdict(score, limits["siamese_warn_below"], limits["siamese_fail_below"])
    return JsonResponse({"score": round(score, 4), "verdict": verdict, "model": row.pk, "reference": reference.pk})


@require_GET
@read_required
def compare_errors(request, pk: int):
    plot = get_object_or_404(Plot, pk=pk)
    row = anomalies.active(plot.plot_type_id)
    if row is None:
        raise Http404("this plot type has no autoencoder")
    response = HttpResponse(anomalies.error_map(row, plot), content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600"
    return response
