"""Campaign validation reports: every plot type of a campaign against the same plot type of a reference.

Per plot type the reference template is the plot type's reference plot when it belongs to the
reference campaign, else the most typical reference plot (the medoid). The reference campaign's
own plots, compared to that template, tell how much good plots of this type vary from run to
run (``ml.compare.calibrate``); each plot of the campaign gets a similarity in those units,
plus a Siamese similarity when the plot type has a trained Siamese model. Verdicts come from
the plot type's thresholds; a plot type's line shows its worst plot.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from apps.core.events import publish_on_commit
from apps.experiments.conditions import validate as validate_conditions
from apps.experiments.models import Campaign
from apps.experiments.production import choose_runs
from apps.plots.models import Plot, PlotGroup, PlotType
from apps.validation import model_inputs, similarity, storage
from apps.validation.choices import ReportStatus, Verdict
from apps.validation.models import HistogramSource, ValidationReport, ValidationResult, ValidationThreshold
from ml import compare

log = logging.getLogger(__name__)
MAX_REFERENCE = 200
MAX_PLOTS = 5000
WORST_KEPT = 12
MIN_SIAMESE_ACCURACY = 0.85
# A warning shared by most of a campaign's runs is not run-to-run noise (the thresholds are set on
# the reference's own spread, so a good run warns rarely): it is a shift of the whole campaign, a
# failure. Needs this many comparable runs, so two warning runs of three never fail a plot type.
SYSTEMATIC_SHARE = 0.8
SYSTEMATIC_MIN_RUNS = 5
Progress = Callable[[float, str], None]


class NoReference(ValueError):
    pass


def _quiet(progress: float, message: str) -> None:
    pass


def choose_reference(campaign: Campaign) -> Campaign:
    """The most recent campaign of the same experiment marked as reference (other than ``campaign``)."""
    found = (
        Campaign.objects.filter(experiment_id=campaign.experiment_id, is_reference=True)
        .exclude(pk=campaign.pk)
        .order_by("-created_at", "-id")
        .first()
    )
    if found is None:
        raise NoReference(f"{campaign.experiment} has no other campaign marked as reference; choose one")
    return found


def thresholds_for(plot_type_ids) -> dict[int, dict]:
    found = {t.plot_type_id: t for t in ValidationThreshold.objects.filter(plot_type_id__in=plot_type_ids)}
    out = {}
    for pk in plot_type_ids:
        row = found.get(pk)
        out[pk] = (
            {k: getattr(row, k) for k in ValidationThreshold.DEFAULTS} if row else dict(ValidationThreshold.DEFAULTS)
        )
    return out


def _template(plot_type: PlotType, refs: list[Plot], prepared: list, empty_ids: set[int]) -> tuple[int, str]:
    """Index of the reference template among ``refs``, or (-1, why the plot type cannot be compared).

    Reference plots that draw nothing (an empty canvas, every pad empty, or no entries in the
    histogram they came from) are never a template: against an empty reference every plot would
    look broken, or an empty one fine. When the plot type's chosen reference plot is empty, or
    every reference plot is, the plot type is non-comparable.
    """
    readable = [i for i, p in enumerate(prepared) if p is not None]
    if not readable:
        return -1, "missing reference: no readable reference image"
    # Where some reference plots draw coloured data, one without any draws nothing (an empty 1-D
    # histogram in ROOT leaves only black axes).
    coloured = any(prepared[i].ink >= 1e-4 for i in readable)
    drawn = [
        i
        for i in readable
        if not prepared[i].draws_nothing and not (coloured and prepared[i].ink < 1e-4) and refs[i].pk not in empty_ids
    ]
    if plot_type.reference_plot_id:
        for i in readable:
            if refs[i].pk == plot_type.reference_plot_id:
                if i in drawn:
                    return i, ""
                return -1, f"empty reference: the plot type's reference plot (run {refs[i].run_number}) draws nothing"
    if not drawn:
        n = len(readable)
        return -1, "empty reference: " + (
            "the reference plot draws nothing" if n == 1 else f"all {n} reference plots draw nothing"
        )
    return drawn[compare.medoid([prepared[i] for i in drawn])], ""


def histogram_values(plots: list[Plot]) -> dict[int, object]:
    """Bin contents of the histograms the plots were drawn from (plots launched from ROOT files), by plot id."""
    from ml import root_histograms

    out = {}
    for source in HistogramSource.objects.filter(plot__in=plots, entries__gt=0).only("plot_id", "path"):
        try:
            out[source.plot_id] = root_histograms.load_npz(storage.absolute(source.path)).values
        except (OSError, ValueError, KeyError) as exc:
            log.warning("cannot read the histogram of plot %s: %s", source.plot_id, exc)
    return out


def pads_reason(lost: list[int], n_pads: int) -> str:
    return f"pad{'s' if len(lost) > 1 else ''} {', '.join(map(str, lost))} of {n_pads} empty"


def _entry(plot: Plot, verdict: str, score=None, siamese=None, reason="", distances=None) -> dict:
    return {
        "plot": plot.pk,
        "run": plot.run_number,
        "chunk": plot.chunk,
        "verdict": verdict,
        "score": None if score is None else round(float(score), 4),
        "siamese": None if siamese is None else round(float(siamese), 4),
        "reason": reason,
        "distances": distances or {},
    }


def compare_plot_type(
    plot_type: PlotType, campaign: Campaign, reference: Campaign, limits: dict, run_numbers: list[int] | None = None
) -> dict:
    """Everything for one plot type's line of a report (the fields of ValidationResult); with
    ``run_numbers``, only plots of those runs (a report's run conditions) are compared."""
    chosen = Plot.objects.filter(plot_type=plot_type)
    if run_numbers is not None:
        chosen = chosen.filter(run_number__in=run_numbers)
    refs = list(chosen.filter(campaign=reference).order_by("-run_number", "-id")[:MAX_REFERENCE])
    plots = list(chosen.filter(campaign=campaign).order_by("-run_number", "-id")[:MAX_PLOTS])
    line = {"n_plots": len(plots), "n_reference": len(refs), "plots": [], "counts": {}, "distances": {}}
    if not plots or not refs:
        reason = "missing" if not plots else "missing reference"
        return {
            **line,
            "verdict": Verdict.NON_COMPARABLE,
            "reason": f"{reason}: no plots in {campaign if not plots else reference}",
        }

    prepared_refs = [model_inputs.prepared(p) for p in refs]
    empty_ids = set(
        HistogramSource.objects.filter(plot__in=[*plots, *refs], entries__lte=0).values_list("plot_id", flat=True)
    )
    t, why = _template(plot_type, refs, prepared_refs, empty_ids)
    if t < 0:
        return {**line, "verdict": Verdict.NON_COMPARABLE, "reason": why}
    template, template_plot = prepared_refs[t], refs[t]
    calibrating = [
        i
        for i, p in enumerate(prepared_refs)
        if i != t
        and p is not None
        and refs[i].pk not in empty_ids
        and not compare.non_comparable_reason(p, template)
        and not compare.lost_pads(p, template)
    ]
    # The histograms behind the plots count only where the reference campaign has enough of them
    # to learn their run-to-run spread; elsewhere hist_chi2 and hist_ks stay 0.
    hists = histogram_values([*refs, *plots])
    reference_hist = hists.get(template_plot.pk)

    def with_histogram(d: compare.Distances, plot: Plot) -> compare.Distances:
        if reference_hist is None or plot.pk not in hists:
            return d
        return dataclasses.replace(d, **compare.histogram_distances(hists[plot.pk], reference_hist))

    with_hists = [i for i in calibrating if refs[i].pk in hists]
    if len(with_hists) < compare.MIN_CALIBRATION:
        reference_hist = None
    spread = {i: with_histogram(compare.distances(prepared_refs[i], template), refs[i]) for i in calibrating}
    calibration = compare.calibrate(list(spread.values()))
    if reference_hist is not None:
        # The histogram distances' spread comes from the reference plots that have a histogram.
        learned = compare.calibrate([spread[i] for i in with_hists]).scales
        scales = {**calibration.scales, **{m: learned[m] for m in ("hist_chi2", "hist_ks")}}
        calibration = dataclasses.replace(calibration, scales=scales)
    siamese_row = similarity.active(plot_type.pk)
    entries, comparable = [], []
    for plot in plots:
        image = model_inputs.prepared(plot)
        reason = "empty" if plot.pk in empty_ids else compare.non_comparable_reason(image, template)
        if image is None:
            reason = "missing: the image file cannot be read"
        if reason:
            entries.append(_entry(plot, Verdict.NON_COMPARABLE, reason=reason))
            if image is not None and len(image.pads) > 1:
                entries[-1].update(pads=len(image.pads), empty_pads=image.empty_pads)
            continue
        d = with_histogram(compare.distances(image, template), plot)
        score = compare.similarity(d, calibration)
        verdict = compare.verdict(score, limits["warn_below"], limits["fail_below"])
        # A pad that draws nothing where the reference's draws data is lost data, whatever the
        # distances over the whole canvas say.
        lost = compare.lost_pads(image, template)
        entries.append(
            _entry(
                plot,
                Verdict.FAIL if lost else verdict,
                score,
                None,
                pads_reason(lost, len(image.pads)) if lost else "",
                d.as_dict(),
            )
        )
        if len(image.pads) > 1:
            entries[-1].update(pads=len(image.pads), empty_pads=image.empty_pads)
        comparable.append((len(entries) - 1, plot))
    accuracy = (siamese_row.metrics.get("accuracy") or 0.0) if siamese_row else 0.0
    # A Siamese model that tells held-out pairs apart poorly is shown, but has no say in the verdict.
    votes = accuracy >= MIN_SIAMESE_ACCURACY
    if siamese_row is not None and comparable:
        siamese_scores = similarity.scores(siamese_row, [p for _, p in comparable], template_plot)
        for (i, _plot), s in zip(comparable, siamese_scores, strict=True):
            entries[i]["siamese"] = round(float(s), 4)
            entries[i]["siamese_votes"] = votes
            if votes:
                second = compare.verdict(float(s), limits["siamese_warn_below"], limits["siamese_fail_below"])
                entries[i]["verdict"] = compare.worst([entries[i]["verdict"], second])

    ranked = sorted(entries, key=_severity)
    counts = Counter(e["verdict"] for e in entries)
    usable = [e for e in entries if e["verdict"] != Verdict.NON_COMPARABLE]
    worst = ranked[0]
    # A plot that cannot be compared (empty, resized) outranks a pass: someone has to look at it.
    verdict = compare.worst([e["verdict"] for e in entries])
    reasons = Counter(e["reason"] for e in entries if e["verdict"] == Verdict.NON_COMPARABLE)
    if usable:
        worst = min(usable, key=_severity)
        reason = f"run {worst['run']}: {worst['reason']}" if worst["reason"] else ""
        if reasons:
            why = ", ".join(r for r, _n in reasons.most_common(3))
            note = f"{sum(reasons.values())} of {len(entries)} plots non-comparable ({why})"
            reason = f"{reason}; {note}" if reason else note
    else:
        reason = reasons.most_common(1)[0][0]
    off = sum(1 for e in usable if e["verdict"] != Verdict.PASS)
    if verdict == Verdict.WARN and len(usable) >= SYSTEMATIC_MIN_RUNS and off >= SYSTEMATIC_SHARE * len(usable):
        verdict = Verdict.FAIL
        note = f"systematic: {off} of {len(usable)} runs off the reference"
        reason = f"{note}; {reason}" if reason else note
    if siamese_row is not None and not votes:
        note = f"Siamese not counted: held-out pair accuracy {accuracy:.2f} < {MIN_SIAMESE_ACCURACY}"
        reason = f"{reason}; {note}" if reason else note
    return {
        **line,
        "verdict": verdict,
        "reason": reason,
        "score": min((e["score"] for e in usable), default=None),
        "siamese_score": min((e["siamese"] for e in usable if e["siamese"] is not None), default=None),
        "siamese_votes": votes,
        "distances": worst.get("distances", {}),
        "calibration": calibration.as_dict(),
        "counts": dict(counts),
        "worst_plot_id": worst["plot"],
        "reference_plot_id": template_plot.pk,
        "plots": ranked[:WORST_KEPT],
    }


def _severity(entry: dict):
    score = entry.get("score")
    siamese = entry.get("siamese") if entry.get("siamese_votes") else None
    lowest = min(v for v in (score, siamese, 1.0) if v is not None)
    return (compare.VERDICT_ORDER[entry["verdict"]], lowest)


def _line_key(result: dict):
    siamese = result.get("siamese_score") if result.get("siamese_votes") else None
    scores = [v for v in (result.get("score"), siamese) if v is not None]
    return (compare.VERDICT_ORDER[result["verdict"]], min(scores) if scores else 1.0)


def summarise(report: ValidationReport, results: list[ValidationResult]) -> dict:
    """Verdict counts for the whole campaign and for every plot group (a group's verdict is its worst type's)."""
    by_type = {r.plot_type_id: r.verdict for r in results}
    groups = []
    for group in PlotGroup.objects.filter(experiment_id=report.experiment_id).order_by("name"):
        ids = set(group.all_plot_types().values_list("id", flat=True)) & set(by_type)
        if not ids:
            continue
        counts = Counter(by_type[i] for i in ids)
        groups.append(
            {
                "id": group.pk,
                "name": group.name,
                "verdict": compare.worst([by_type[i] for i in ids]),
                "counts": dict(counts),
                "plot_types": len(ids),
            }
        )
    overall = Counter(by_type.values())
    return {
        "verdict": compare.worst(list(by_type.values())),
        "counts": {v: overall.get(v, 0) for v in Verdict.values},
        "plot_types": len(by_type),
        "groups": groups,
    }


def compute(report: ValidationReport, progress: Progress = _quiet, job=None) -> ValidationReport:
    """Recompute every line of ``report`` and its summary, then tell the pages (``validation.updated``)."""
    ValidationReport.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, job=job)
    type_ids = set(
        Plot.objects.filter(campaign_id__in=[report.campaign_id, report.reference_id])
        .values_list("plot_type_id", flat=True)
        .distinct()
    )
    types = list(PlotType.objects.filter(pk__in=type_ids, ignored=False).order_by("name"))
    limits = thresholds_for([t.pk for t in types])
    run_numbers = None
    if report.conditions:
        run_numbers = sorted(choose_runs(report.conditions, report.experiment_id).chosen.values())
    lines = []
    for i, plot_type in enumerate(types, start=1):
        line = compare_plot_type(plot_type, report.campaign, report.reference, limits[plot_type.pk], run_numbers)
        lines.append((plot_type, line))
        progress(i / max(1, len(types)), f"{i}/{len(types)} plot types: {plot_type.name} {line['verdict']}")
    lines.sort(key=lambda item: (_line_key(item[1]), item[0].name))
    with transaction.atomic():
        report.results.all().delete()
        results = ValidationResult.objects.bulk_create(
            [
                ValidationResult(
                    report=report,
                    plot_type=plot_type,
                    rank=rank,
                    verdict=line["verdict"],
                    reason=line.get("reason", "")[:200],
                    score=line.get("score"),
                    siamese_score=line.get("siamese_score"),
                    distances=line.get("distances", {}),
                    calibration=line.get("calibration", {}),
                    counts=line.get("counts", {}),
                    n_plots=line["n_plots"],
                    n_reference=line["n_reference"],
                    worst_plot_id=line.get("worst_plot_id"),
                    reference_plot_id=line.get("reference_plot_id"),
                    plots=line.get("plots", []),
                )
                for rank, (plot_type, line) in enumerate(lines, start=1)
            ]
        )
        report.summary = summarise(report, results)
        report.status = ReportStatus.READY
        report.computed_at = timezone.now()
        report.message = f"{len(results)} plot types compared"
        report.save(update_fields=["summary", "status", "computed_at", "message"])
        publish_on_commit(
            "validation",
            "validation.updated",
            {
                "kind": "report",
                "report": report.pk,
                "campaign": report.campaign_id,
                "reference": report.reference_id,
                "summary": report.summary,
                "computed_at": report.computed_at.isoformat(),
            },
        )
    return report


def get_or_create_report(
    campaign: Campaign, reference: Campaign | None = None, user=None, conditions: str = ""
) -> ValidationReport:
    """The report of ``campaign`` against ``reference`` (chosen automatically when None) over the runs
    matching ``conditions`` (a run-condition expression; empty: every run), made if new."""
    conditions = validate_conditions(conditions)
    automatic = reference is None
    reference = reference or choose_reference(campaign)
    if reference.pk == campaign.pk:
        raise ValueError("a campaign cannot be validated against itself")
    if reference.experiment_id != campaign.experiment_id:
        raise ValueError("the reference campaign must belong to the same experiment")
    report, _ = ValidationReport.objects.get_or_create(
        campaign=campaign,
        reference=reference,
        conditions=conditions,
        defaults={
            "experiment_id": campaign.experiment_id,
            "reference_chosen_automatically": automatic,
            "created_by": user,
        },
    )
    return report
