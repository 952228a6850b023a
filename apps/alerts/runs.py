"""What the alarm rules read: which runs count (production runs only) and a plot type's recent runs."""

from __future__ import annotations

from dataclasses import dataclass, field

from apps.experiments.models import Run
from apps.labels.choices import Meaning
from apps.plots.models import Plot

# A run's plots arrive in chunks and campaigns: read this many plots per run of the window.
PLOTS_PER_RUN = 8


def production_test(experiment_id: int):
    """A function telling from a run's number and conditions whether its verdicts may raise alarms.

    The experiment's production conditions decide (``apps.experiments.production``: a run outside
    them is a special run, shown muted and never alarmed on); without conditions every real run
    counts. Simulated images (run 0) never raise alarms.
    """
    from apps.experiments.models import Experiment
    from apps.experiments.production import production_expression

    experiment = Experiment.objects.filter(pk=experiment_id).only("id", "production_conditions").first()
    tree = production_expression(experiment) if experiment is not None else None

    def test(run_number: int, conditions: dict | None) -> bool:
        if run_number == Run.SIMULATED:
            return False
        return tree is None or tree.matches(conditions or {})

    return test


@dataclass
class RunVerdict:
    """One run's verdict for one plot type, from all its plots: bad, unconfirmed, good or other."""

    number: int
    state: str
    plot_ids: list[int] = field(default_factory=list)
    bad_plot: int | None = None

    @property
    def bad(self) -> bool:
        return self.state == "bad"


def run_history(plot_type_id: int, runs: int, is_production) -> list[RunVerdict]:
    """The newest ``runs`` production runs of a plot type that have verdicts, newest first.

    A run is Bad when any of its plots has a confirmed Bad verdict; else unconfirmed when any
    verdict is unconfirmed; else good when every verdict is a confirmed Good class (other classes,
    such as NoData, are "other"). One index range read on (plot type, run number); runs for which
    ``is_production(number, conditions)`` is false are left out.
    """
    rows = list(
        Plot.objects.filter(plot_type_id=plot_type_id, run_number__gt=0, verdict_class__isnull=False)
        .order_by("-run_number", "-id")
        .values_list("id", "run_number", "run_id", "verdict_class__meaning", "verdict_confirmed")[
            : max(1, runs) * PLOTS_PER_RUN
        ]
    )
    conditions = dict(Run.objects.filter(pk__in={r[2] for r in rows}).values_list("pk", "conditions"))
    return _collapse(rows, runs, is_production, conditions)


def run_histories(
    experiment_id: int, type_ids, runs: int, is_production, up_to: int | None = None
) -> dict[int, list[RunVerdict]]:
    """``run_history`` of many plot types of one experiment in three queries.

    The experiment's runs up to ``up_to`` (the newest run of the verdicts just stored; all runs when
    None) give a floor ``2 × runs`` runs down; one range read on (plot type, run number) fetches
    every type's plots above it. A type with too few runs there (it skips runs), or a read that
    comes back too large (verdicts of an old run, far below the newest), falls back to one read per type.
    """
    type_ids = sorted(set(type_ids))
    numbers = Run.objects.filter(experiment_id=experiment_id, number__gt=0)
    if up_to is not None:
        numbers = numbers.filter(number__lte=up_to)
    numbers = list(numbers.order_by("-number").values_list("number", flat=True)[: runs * 2])
    if not numbers:
        return {t: [] for t in type_ids}
    floor = numbers[-1]
    every_run = len(numbers) < runs * 2  # nothing below the floor to miss
    cap = runs * 4 * len(type_ids) * PLOTS_PER_RUN
    rows = list(
        Plot.objects.filter(plot_type_id__in=type_ids, run_number__gte=floor, verdict_class__isnull=False)
        .order_by("plot_type_id", "-run_number", "-id")
        .values_list("plot_type_id", "id", "run_number", "run_id", "verdict_class__meaning", "verdict_confirmed")[
            : cap + 1
        ]
    )
    if len(rows) > cap:
        return {t: run_history(t, runs, is_production) for t in type_ids}
    by_type: dict[int, list[tuple]] = {t: [] for t in type_ids}
    for row in rows:
        by_type[row[0]].append(row[1:])
    conditions = dict(
        Run.objects.filter(experiment_id=experiment_id, number__gte=floor).values_list("pk", "conditions")
    )
    out = {}
    for type_id, found in by_type.items():
        history = _collapse(found, runs, is_production, conditions)
        if len(history) < runs and not every_run:
            history = run_history(type_id, runs, is_production)
        out[type_id] = history
    return out


def _collapse(rows, runs: int, is_production, conditions: dict) -> list[RunVerdict]:
    """Plots (id, run number, run id, meaning, confirmed), newest run first, folded into run verdicts."""
    out: list[RunVerdict] = []
    for plot_id, number, run_id, meaning, confirmed in rows:
        if not is_production(number, conditions.get(run_id)):
            continue
        if not out or out[-1].number != number:
            if len(out) == runs:
                break
            out.append(RunVerdict(number, "good"))
        current = out[-1]
        current.plot_ids.append(plot_id)
        if meaning == Meaning.BAD and confirmed:
            current.state = "bad"
            current.bad_plot = current.bad_plot or plot_id
        elif current.state != "bad" and not confirmed:
            current.state = "unconfirmed"
        elif current.state == "good" and meaning != Meaning.GOOD:
            current.state = "other"
    return out


def changes(history: list[RunVerdict]) -> int:
    """How often the verdict flips between Bad and not Bad from run to run."""
    return sum(1 for a, b in zip(history, history[1:], strict=False) if a.bad != b.bad)
