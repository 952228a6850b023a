"""One plot type's line of a campaign report: its plots against the reference campaign's.

The template is the plot type's reference plot when it belongs to the reference campaign, else
the most typical reference plot (the medoid). The reference campaign's own plots, compared to
the template, tell how much good plots of this type vary from run to run (``ml.compare.calibrate``);
each plot of the campaign gets a similarity in those units, plus a Siamese similarity when the plot
type has a trained Siamese model that tells held-out pairs apart well. The line's verdict is its
worst plot's; a warning shared by most runs is a systematic failure.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from dataclasses import dataclass

from apps.experiments.models import Campaign
from apps.plots.models import Plot, PlotType
from apps.validation import model_inputs, similarity, storage
from apps.validation.choices import Verdict
from apps.validation.models import HistogramSource
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


@dataclass
class _Template:
    """The reference side of a comparison: the template image and plot, the learned spread and the
    template's histogram (None where the reference campaign has too few histograms to learn from)."""

    image: compare.PreparedImage
    plot: Plot
    calibration: compare.Calibration
    histograms: dict
    histogram: object = None

    def distances(self, image: compare.PreparedImage, plot: Plot) -> compare.Distances:
        d = compare.distances(image, self.image)
        if self.histogram is None or plot.pk not in self.histograms:
            return d
        return dataclasses.replace(d, **compare.histogram_distances(self.histograms[plot.pk], self.histogram))


def _calibrated(refs: list[Plot], prepared: list, t: int, empty_ids: set[int], plots: list[Plot]) -> _Template:
    """The template ``refs[t]`` with the spread of the other comparable reference plots around it."""
    template = prepared[t]
    calibrating = [
        i
        for i, p in enumerate(prepared)
        if i != t
        and p is not None
        and refs[i].pk not in empty_ids
        and not compare.non_comparable_reason(p, template)
        and not compare.lost_pads(p, template)
    ]
    # The histograms behind the plots count only where the reference campaign has enough of them
    # to learn their run-to-run spread; elsewhere hist_chi2 and hist_ks stay 0.
    hists = histogram_values([*refs, *plots])
    with_hists = [i for i in calibrating if refs[i].pk in hists]
    enough = len(with_hists) >= compare.MIN_CALIBRATION
    side = _Template(template, refs[t], compare.Calibration({}), hists, hists.get(refs[t].pk) if enough else None)
    spread = {i: side.distances(prepared[i], refs[i]) for i in calibrating}
    calibration = compare.calibrate(list(spread.values()))
    if side.histogram is not None:
        # The histogram distances' spread comes from the reference plots that have a histogram.
        learned = compare.calibrate([spread[i] for i in with_hists]).scales
        scales = {**calibration.scales, **{m: learned[m] for m in ("hist_chi2", "hist_ks")}}
        calibration = dataclasses.replace(calibration, scales=scales)
    side.calibration = calibration
    return side


def _judge(plot: Plot, side: _Template, limits: dict, empty_ids: set[int]) -> tuple[dict, bool]:
    """One plot's entry, and whether it could be compared."""
    image = model_inputs.prepared(plot)
    reason = "empty" if plot.pk in empty_ids else compare.non_comparable_reason(image, side.image)
    if image is None:
        reason = "missing: the image file cannot be read"
    if reason:
        entry = _entry(plot, Verdict.NON_COMPARABLE, reason=reason)
        if image is not None and len(image.pads) > 1:
            entry.update(pads=len(image.pads), empty_pads=image.empty_pads)
        return entry, False
    d = side.distances(image, plot)
    score = compare.similarity(d, side.calibration)
    verdict = compare.verdict(score, limits["warn_below"], limits["fail_below"])
    # A pad that draws nothing where the reference's draws data is lost data, whatever the
    # distances over the whole canvas say.
    lost = compare.lost_pads(image, side.image)
    reason = pads_reason(lost, len(image.pads)) if lost else ""
    entry = _entry(plot, Verdict.FAIL if lost else verdict, score, None, reason, d.as_dict())
    if len(image.pads) > 1:
        entry.update(pads=len(image.pads), empty_pads=image.empty_pads)
    return entry, True


def _second_opinion(plot_type: PlotType, entries: list[dict], comparable: list, side: _Template, limits: dict):
    """Siamese scores beside the statistical ones; they vote only for a model that tells held-out
    pairs apart well. Returns (the model row or None, whether it votes, its accuracy)."""
    row = similarity.active(plot_type.pk)
    accuracy = (row.metrics.get("accuracy") or 0.0) if row else 0.0
    votes = accuracy >= MIN_SIAMESE_ACCURACY
    if row is None or not comparable:
        return row, votes, accuracy
    scores = similarity.scores(row, [p for _, p in comparable], side.plot)
    for (i, _plot), s in zip(comparable, scores, strict=True):
        entries[i]["siamese"] = round(float(s), 4)
        entries[i]["siamese_votes"] = votes
        if votes:
            second = compare.verdict(float(s), limits["siamese_warn_below"], limits["siamese_fail_below"])
            entries[i]["verdict"] = compare.worst([entries[i]["verdict"], second])
    return row, votes, accuracy


def _verdict_and_reason(entries: list[dict]) -> tuple[str, str, dict]:
    """The line's verdict (its worst plot's; systematic when most runs are off), why, and its worst usable entry."""
    usable = [e for e in entries if e["verdict"] != Verdict.NON_COMPARABLE]
    # A plot that cannot be compared (empty, resized) outranks a pass: someone has to look at it.
    verdict = compare.worst([e["verdict"] for e in entries])
    reasons = Counter(e["reason"] for e in entries if e["verdict"] == Verdict.NON_COMPARABLE)
    worst = min(entries, key=_severity)
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
    return verdict, reason, worst


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
        missing = f"missing: no plots in {campaign}" if not plots else f"missing reference: no plots in {reference}"
        return {**line, "verdict": Verdict.NON_COMPARABLE, "reason": missing}
    prepared_refs = [model_inputs.prepared(p) for p in refs]
    empty_ids = set(
        HistogramSource.objects.filter(plot__in=[*plots, *refs], entries__lte=0).values_list("plot_id", flat=True)
    )
    t, why = _template(plot_type, refs, prepared_refs, empty_ids)
    if t < 0:
        return {**line, "verdict": Verdict.NON_COMPARABLE, "reason": why}
    side = _calibrated(refs, prepared_refs, t, empty_ids, plots)
    entries, comparable = [], []
    for plot in plots:
        entry, usable = _judge(plot, side, limits, empty_ids)
        entries.append(entry)
        if usable:
            comparable.append((len(entries) - 1, plot))
    siamese_row, votes, accuracy = _second_opinion(plot_type, entries, comparable, side, limits)
    verdict, reason, worst = _verdict_and_reason(entries)
    if siamese_row is not None and not votes:
        note = f"Siamese not counted: held-out pair accuracy {accuracy:.2f} < {MIN_SIAMESE_ACCURACY}"
        reason = f"{reason}; {note}" if reason else note
    usable = [e for e in entries if e["verdict"] != Verdict.NON_COMPARABLE]
    return {
        **line,
        "verdict": verdict,
        "reason": reason,
        "score": min((e["score"] for e in usable), default=None),
        "siamese_score": min((e["siamese"] for e in usable if e["siamese"] is not None), default=None),
        "siamese_votes": votes,
        "distances": worst.get("distances", {}),
        "calibration": side.calibration.as_dict(),
        "counts": dict(Counter(e["verdict"] for e in entries)),
        "worst_plot_id": worst["plot"],
        "reference_plot_id": side.plot.pk,
        "plots": sorted(entries, key=_severity)[:WORST_KEPT],
    }


def _severity(entry: dict):
    score = entry.get("score")
    siamese = entry.get("siamese") if entry.get("siamese_votes") else None
    lowest = min(v for v in (score, siamese, 1.0) if v is not None)
    return (compare.VERDICT_ORDER[entry["verdict"]], lowest)
