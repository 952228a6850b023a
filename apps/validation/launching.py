"""Monitoring launch from ROOT files: read the configured histograms, draw them, ingest them as plots.

Each plot keeps its histogram (``HistogramSource``, an .npz under MEDIA_ROOT) so failures can be
simulated from the real data later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from apps.experiments.models import Experiment
from apps.plots.ingest import Ingestor, IngestReport, Source
from apps.plots.layout import PlotRef
from apps.validation import storage
from apps.validation.models import HistogramSource
from ml import root_histograms


@dataclass
class LaunchResult:
    report: IngestReport = field(default_factory=IngestReport)
    problems: list[str] = field(default_factory=list)

    @property
    def new(self) -> int:
        return self.report.count("new")


def launch(
    files: list[str],
    experiment: Experiment,
    *,
    campaign: str,
    run: int,
    config,
    run_period: str | None = None,
) -> LaunchResult:
    """Ingest the configured histograms of every ROOT file in ``files`` as plots of run ``run``.

    Several files may hold the same plot type: the second and later ones become chunks 1, 2, ...
    """
    cfg = config if isinstance(config, root_histograms.LaunchConfig) else root_histograms.load_config(config)
    period = run_period or cfg.run_period or "default"
    result = LaunchResult()
    sources, kept = [], {}
    seen: dict[str, int] = {}
    for path in files:
        try:
            read = root_histograms.read(path, cfg.histograms)
        except (OSError, ValueError) as exc:
            result.problems.append(f"{path}: cannot read ({exc})")
            continue
        for spec, hist, problem in read:
            if hist is None:
                result.problems.append(problem)
                continue
            chunk = seen.get(spec.plot_type, -1) + 1
            seen[spec.plot_type] = chunk
            name = f"{Path(path).name}:{spec.path}"
            ref = PlotRef(plot_type=spec.plot_type, run=run, run_period=period, chunk=chunk, campaign=campaign)
            sources.append(Source(name=name, ref=ref, data=root_histograms.render(hist, spec, run=run)))
            kept[name] = (hist, spec, str(path))
    if not sources:
        return result
    with Ingestor(experiment, campaign=campaign, workers=1) as ingestor:
        result.report = ingestor.ingest(sources)
    with transaction.atomic():
        for outcome in result.report.outcomes:
            if outcome.status != "new":
                continue
            hist, spec, path = kept[outcome.name]
            rel = storage.relative("histograms", f"{outcome.plot.sha256}.npz")
            root_histograms.save_npz(hist, storage.absolute(rel))
            storage.publish(rel)
            HistogramSource.objects.update_or_create(
                plot=outcome.plot,
                defaults={
                    "path": rel,
                    "source_file": path[:500],
                    "histogram_path": spec.path[:300],
                    "draw": {"draw": spec.draw, "width": spec.width, "height": spec.height},
                    "entries": float(hist.values.sum()),
                },
            )
    return result
