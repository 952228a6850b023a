"""Campaign validation reports: every plot type of a campaign against the same plot type of a reference.

Each plot type's line (``plot_type_lines.compare_plot_type``) compares its plots with a template
of the reference campaign in units of the reference's own run-to-run spread; the report sorts the
lines worst first, sums them up per plot group and for the whole campaign, and tells the pages.
"""

from __future__ import annotations

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
from apps.validation.choices import ReportStatus, Verdict
from apps.validation.models import ValidationReport, ValidationResult, ValidationThreshold
from apps.validation.plot_type_lines import compare_plot_type
from ml import compare

log = logging.getLogger(__name__)
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
    return _store(report, lines)


def _store(report: ValidationReport, lines: list[tuple[PlotType, dict]]) -> ValidationReport:
    """Replace the report's lines with ``lines`` (ranked as given), sum them up, and tell the pages on commit."""
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
