"""Choosing runs by their conditions, and telling production runs from special ones.

For other apps (plots, labels, monitoring, alerts):

- ``matching_runs(expression, experiment=None)``: the runs an expression chooses (a queryset whose
  ``values("id")`` is a subquery);
- ``run_ids_matching(expression, experiment=None)``: the same as a sorted list of ids;
- ``run_is_production(run)`` / ``plot_is_production(plot)``: False for a run outside its
  experiment's ``production_conditions`` (verdicts on it are shown muted and raise no alarm);
- ``production_runs(experiment)`` / ``special_runs(experiment)``: querysets of either kind;
- ``special_run_ids(experiment, run_ids)``: which of some runs are special (one query).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from apps.experiments.condition_tree import Node
from apps.experiments.condition_values import index_values
from apps.experiments.conditions import ConditionError, parse
from apps.experiments.models import Experiment, Run, RunCondition

log = logging.getLogger(__name__)


def _tree(expression) -> Node:
    return expression if isinstance(expression, Node) else parse(expression.strip())


def matching_runs(expression, experiment: Experiment | int | None = None):
    """The runs ``expression`` (text or a parsed tree) chooses, of one experiment or of all, as a
    queryset (id subqueries; for a list, ``choose_runs`` is faster)."""
    runs = Run.objects.filter(_tree(expression).q())
    if experiment is not None:
        runs = runs.filter(experiment=experiment)
    return runs


@dataclass
class RunChoice:
    """The runs an expression chose among the runs of an experiment (or all): id → number each."""

    chosen: dict[int, int]
    universe: dict[int, int]

    @property
    def rest(self) -> dict[int, int]:
        return {pk: n for pk, n in self.universe.items() if pk not in self.chosen}


def choose_runs(expression, experiment: Experiment | int | None = None) -> RunChoice:
    """The runs ``expression`` chooses: one index-only query per comparison plus one for the runs
    themselves, combined as sets. Tens of thousands of runs take tens of milliseconds."""
    runs = Run.objects.all() if experiment is None else Run.objects.filter(experiment=experiment)
    # No ordering: Run's default one (experiment, -number) joins the experiment table for its name.
    universe = dict(runs.order_by().values_list("id", "number").iterator(chunk_size=20_000))
    ids = _tree(expression).run_ids(frozenset(universe))
    return RunChoice({pk: universe[pk] for pk in ids}, universe)


def choose_runs_cached(expression: str, experiment: Experiment | int | None = None) -> RunChoice:
    """``choose_runs`` kept PAGE_CACHE_SECONDS (HYDRA_PAGE_CACHE_SECONDS) per expression and
    experiment, like the browser's other filter choices: paging through one filtered view asks once."""
    seconds = getattr(settings, "PAGE_CACHE_SECONDS", 0)
    if not seconds or not isinstance(expression, str):
        return choose_runs(expression, experiment)
    experiment_id = getattr(experiment, "pk", experiment)
    key = f"run-choice:{experiment_id}:{hashlib.sha1(expression.strip().encode()).hexdigest()}"
    found = cache.get(key)
    if found is None:
        found = choose_runs(expression, experiment)
        cache.set(key, found, seconds)
    return found


def run_ids_matching(expression, experiment: Experiment | int | None = None) -> list[int]:
    return sorted(choose_runs(expression, experiment).chosen)


def index_conditions(runs: Iterable[Run]) -> int:
    """Make the runs' RunCondition rows equal to their ``conditions``; returns the rows written."""
    runs = [r for r in runs if r.pk is not None]
    if not runs:
        return 0
    rows = []
    for run in runs:
        for name, value in (run.conditions or {}).items():
            values = index_values(value)
            if values is None or not isinstance(name, str) or len(name) > 100:
                continue
            rows.append(RunCondition(run_id=run.pk, name=name, number=values[0], text=values[1]))
    with transaction.atomic():
        RunCondition.objects.filter(run_id__in=[r.pk for r in runs]).delete()
        RunCondition.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def reindex(experiment: Experiment | None = None, batch: int = 1000) -> int:
    """Rebuild the RunCondition rows of every run (of one experiment) from ``Run.conditions``."""
    runs = Run.objects.all() if experiment is None else Run.objects.filter(experiment=experiment)
    written = 0
    last = 0
    while True:
        chunk = list(runs.filter(pk__gt=last).order_by("pk").only("id", "conditions")[:batch])
        if not chunk:
            return written
        written += index_conditions(chunk)
        last = chunk[-1].pk


# ------------------------------------------------------------------------------ production runs


def production_expression(experiment: Experiment) -> Node | None:
    """The experiment's parsed production conditions, or None when every run counts as production.

    The admin refuses an expression that does not parse; one stored some other way is logged and
    ignored (every run counts as production) rather than breaking every page that shows verdicts."""
    text = (experiment.production_conditions or "").strip()
    if not text:
        return None
    try:
        return parse(text)
    except ConditionError as exc:
        log.warning("production conditions of %s ignored: %s", experiment, exc)
        return None


def run_is_production(run: Run, experiment: Experiment | None = None) -> bool:
    """Whether ``run`` satisfies its experiment's production conditions (no query when the experiment
    is given or already loaded). Simulated runs and experiments without conditions count as production."""
    experiment = experiment or run.experiment
    tree = production_expression(experiment)
    if tree is None or run.is_simulated:
        return True
    return tree.matches(run.conditions or {})


def plot_is_production(plot) -> bool:
    """Whether a plot (or a verdict's plot) was made in a production run; alarms ignore the others."""
    return run_is_production(plot.run)


def production_runs(experiment: Experiment):
    tree = production_expression(experiment)
    runs = Run.objects.filter(experiment=experiment)
    return runs if tree is None else runs.filter(tree.q())


def special_runs(experiment: Experiment):
    """Runs outside the production conditions (simulated runs are never special)."""
    tree = production_expression(experiment)
    runs = Run.objects.filter(experiment=experiment)
    if tree is None:
        return runs.none()
    return runs.exclude(tree.q()).exclude(number=Run.SIMULATED)


def special_run_ids(experiment: Experiment, run_ids: Iterable[int]) -> set[int]:
    """Which of ``run_ids`` are special runs of ``experiment`` (one query, none without conditions)."""
    run_ids = list(set(run_ids))
    tree = production_expression(experiment)
    if not run_ids or tree is None:
        return set()
    # A few runs (a page of cards): their conditions are read and tested here, as run_is_production does.
    runs = Run.objects.filter(pk__in=run_ids, experiment=experiment).values_list("id", "number", "conditions")
    return {pk for pk, number, conditions in runs if number != Run.SIMULATED and not tree.matches(conditions or {})}
