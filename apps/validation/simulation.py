"""Simulated failures: break the histogram behind a plot and draw it again, as a labeled, marked Bad plot.

Histogram data comes from a plot's ``HistogramSource`` (plots launched from ROOT files keep theirs),
or, for the demo detector's plot types, from the synthetic generator. Every simulated plot goes to
a campaign of kind *simulation* (default "simulated-failures"), run 0 (Hydra's "simulated"), with
``Plot.simulated_failure`` naming the mode and the label Bad, so training can include the set and
every page can tell it apart. The run tag drawn on the image is the source plot's, like the
original's: a model must not learn "no run number means Bad".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max

from apps.experiments.choices import CampaignKind
from apps.experiments.models import Campaign, Run
from apps.labels.choices import Meaning
from apps.labels.models import LabelClass
from apps.labels.services import apply_labels
from apps.plots.ingest import Ingestor, Source
from apps.plots.layout import PlotRef
from apps.plots.models import Plot, PlotType
from apps.validation import storage
from apps.validation.models import HistogramSource
from ml import root_histograms
from ml.synthetic import DEMO_PLOT_TYPES, FAILURE_MODES, apply_failure, make_histogram, render_png
from ml.synthetic.histograms import seeded_rng

DEFAULT_CAMPAIGN = "simulated-failures"
SIMULATED_PERIOD = "simulation"
MAX_COUNT = 500


class SimulationError(ValueError):
    pass


@dataclass
class SimulationResult:
    plots: list[Plot] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        modes = sorted({p.simulated_failure for p in self.plots})
        text = f"made {len(self.plots)} simulated Bad plot(s) ({', '.join(modes) or 'none'})"
        return text + (f"; skipped: {'; '.join(self.skipped)}" if self.skipped else "")


@dataclass
class _Base:
    hist: object
    run: int
    width: int = 480
    height: int = 360
    source: str = ""


def _bases(plot_type: PlotType, count: int, seed: int) -> list[_Base]:
    """Good histograms of this plot type to break: stored ones first, else the demo generator's."""
    sources = list(
        HistogramSource.objects.filter(plot__plot_type=plot_type, plot__simulated_failure="")
        .exclude(plot__label_class__meaning=Meaning.BAD)
        .select_related("plot")
        .order_by("-plot__run_number", "-id")[: max(count, 50)]
    )
    bases = []
    for src in sources:
        path = storage.absolute(src.path)
        if path.exists():
            draw = src.draw or {}
            bases.append(
                _Base(
                    root_histograms.load_npz(path),
                    src.plot.run_number,
                    int(draw.get("width", 480)),
                    int(draw.get("height", 360)),
                    f"plot {src.plot_id} (run {src.plot.run_number})",
                )
            )
    if bases:
        return bases
    demo = next((d for d in DEMO_PLOT_TYPES if d.name == plot_type.name), None)
    if demo is None:
        raise SimulationError(
            f"{plot_type.name} has no histogram data to break: launch its plots from ROOT files "
            "(manage.py launch), or pick one of the demo detector's plot types"
        )
    runs = list(
        Plot.objects.filter(plot_type=plot_type, simulated_failure="")
        .exclude(run_number=0)
        .values_list("run_number", flat=True)
        .distinct()
        .order_by("-run_number")[:count]
    ) or [80000 + i for i in range(count)]
    out = []
    for run in runs:
        rng = seeded_rng(seed, "simulate", plot_type.name, run)
        entries = int(demo.entries * rng.uniform(0.7, 1.3))
        hist = make_histogram(
            demo.kind, int(rng.integers(2**62)), entries=entries, title=demo.title, **dict(demo.options)
        )
        out.append(_Base(hist, run, source=f"demo generator, run {run}"))
    return out


def _check(modes: list[str], count: int) -> None:
    """Raise SimulationError for an unknown or missing failure mode or a count out of range."""
    unknown = [m for m in modes if m not in FAILURE_MODES]
    if unknown or not modes:
        raise SimulationError(f"unknown failure mode(s) {unknown or modes}; valid: {', '.join(FAILURE_MODES)}")
    if not 1 <= count <= MAX_COUNT:
        raise SimulationError(f"count must be between 1 and {MAX_COUNT}")


def _simulation_campaign(exp, campaign: str) -> Campaign:
    """The experiment's simulation campaign of that name, made when missing."""
    camp, _ = Campaign.objects.get_or_create(
        experiment=exp,
        name=campaign,
        defaults={
            "kind": CampaignKind.SIMULATION,
            "description": "Simulated failures: plots broken on purpose from good histogram data, labeled Bad.",
        },
    )
    if camp.kind != CampaignKind.SIMULATION:
        raise SimulationError(f"campaign {campaign!r} exists and is not a simulation campaign; choose another name")
    return camp


def _bad_class(exp) -> LabelClass:
    """The experiment's first label class meaning Bad."""
    bad = LabelClass.objects.filter(experiment=exp, meaning=Meaning.BAD).order_by("order", "id").first()
    if bad is None:
        raise SimulationError(f"{exp} has no label class meaning Bad")
    return bad


@dataclass
class _Target:
    """Where the simulated plots go: campaign name, run period, and the next free chunk of run 0."""

    campaign: str
    period: str
    next_chunk: int


def _target(plot_type: PlotType, camp: Campaign, campaign: str) -> _Target:
    """Run 0's period (or the default) and the chunk after the campaign's last simulated one."""
    run0 = Run.objects.filter(experiment=plot_type.experiment, number=Run.SIMULATED).first()
    next_chunk = 1 + (
        Plot.objects.filter(plot_type=plot_type, campaign=camp, run_number=Run.SIMULATED).aggregate(m=Max("chunk"))["m"]
        or 0
    )
    period = run0.run_period.name if run0 else SIMULATED_PERIOD
    return _Target(campaign, period, next_chunk)


def _broken_sources(plot_type, modes, count, bases, seed, target: _Target, result: SimulationResult):
    """The images to ingest, ``count`` per mode, and per image name (mode, note, broken histogram).

    A mode that cannot break these histograms is skipped (noted in ``result``)."""
    sources, meta = [], {}
    for mode in modes:
        for i in range(count):
            base = bases[i % len(bases)]
            try:
                broken = apply_failure(base.hist, mode, int(seeded_rng(seed, plot_type.name, mode, i).integers(2**62)))
            except ValueError as exc:
                result.skipped.append(f"{mode}: {exc}")
                break
            data = render_png(broken, run=base.run, width=base.width, height=base.height)
            chunk = target.next_chunk
            target.next_chunk += 1
            name = f"{target.campaign}/{plot_type.name}_{chunk:04d}.png"
            ref = PlotRef(
                plot_type=plot_type.name,
                run=Run.SIMULATED,
                run_period=target.period,
                chunk=chunk,
                campaign=target.campaign,
            )
            sources.append(Source(name=name, ref=ref, data=data))
            meta[name] = (mode, f"simulated {mode} from {base.source}", broken)
    return sources, meta


def _mark_simulated(made, bad: LabelClass, user, result: SimulationResult) -> None:
    """Mark the new plots as simulated failures, keep their broken histograms, and label them Bad."""
    with transaction.atomic():
        for plot, mode, note, broken in made:
            plot.simulated_failure = mode
            plot.original_path = note[:500]
            plot.save(update_fields=["simulated_failure", "original_path"])
            rel = storage.relative("histograms", f"{plot.sha256}.npz")
            root_histograms.save_npz(broken, storage.absolute(rel))
            storage.publish(rel)
            HistogramSource.objects.update_or_create(
                plot=plot,
                defaults={"path": rel, "source_file": note[:500], "entries": float(broken.values.sum())},
            )
            result.plots.append(plot)
        if result.plots:
            apply_labels([(p, bad) for p in result.plots], user=user, comment="simulated failure")


def simulate(
    plot_type: PlotType,
    modes: list[str],
    count: int,
    *,
    user=None,
    seed: int = 0,
    campaign: str = DEFAULT_CAMPAIGN,
) -> SimulationResult:
    """Make ``count`` simulated Bad plots per failure mode of ``plot_type`` and ingest them."""
    _check(modes, count)
    exp = plot_type.experiment
    camp = _simulation_campaign(exp, campaign)
    bad = _bad_class(exp)
    bases = _bases(plot_type, count, seed)
    result = SimulationResult()
    sources, meta = _broken_sources(plot_type, modes, count, bases, seed, _target(plot_type, camp, campaign), result)
    if not sources:
        raise SimulationError("nothing to make: " + "; ".join(result.skipped))
    with Ingestor(exp, campaign=campaign, workers=1) as ingestor:
        report = ingestor.ingest(sources)
    rejected = [f"{o.name}: {o.reason}" for o in report.rejected]
    if rejected:
        result.skipped.extend(rejected)
    made = [(o.plot, *meta[o.name]) for o in report.outcomes if o.status == "new"]
    _mark_simulated(made, bad, user, result)
    return result
