"""Rule evaluation: verdicts and validation reports in, alarms opened, updated or resolved out.

Per batch of verdicts: one query for the rules, one per plot group rule to resolve its plot types,
one for the open alarms, and per plot type one index range read of its newest runs.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.alerts import services
from apps.alerts.choices import EventKind, Reason, RuleKind, State
from apps.alerts.models import Alarm, Rule
from apps.alerts.runs import RunVerdict, changes, production_test, run_histories
from apps.plots.models import Plot, PlotGroup, PlotType

log = logging.getLogger(__name__)

VERDICT_KINDS = (RuleKind.CONFIRMED_BAD, RuleKind.K_OF_N, RuleKind.UNCONFIRMED_STREAK)


def covered_types(rules) -> dict[int, set[int]]:
    """Rule id → the plot type ids it watches (a group's own and those of every group under it)."""
    out = {}
    for rule in rules:
        if rule.plot_type_id:
            out[rule.pk] = {rule.plot_type_id}
        else:
            group = PlotGroup(pk=rule.plot_group_id)
            out[rule.pk] = set(
                PlotType.objects.filter(groups__in=group.descendant_ids(), ignored=False).values_list("id", flat=True)
            )
    return out


# Per process: an experiment's verdict rules with the plot types each covers, and its production
# test. Dropped when a rule, plot type, group or experiment changes here (signals.py), and after
# CACHE_SECONDS in any case (a change made by another process).
CACHE_SECONDS = 10.0
_cache: dict[int, tuple[float, list[Rule], dict[int, set[int]], object]] = {}
_cache_lock = threading.Lock()


def forget_rules(**kwargs) -> None:
    with _cache_lock:
        _cache.clear()


def _experiment_rules(experiment_id: int):
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(experiment_id)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1], hit[2], hit[3]
    rules = list(Rule.objects.filter(enabled=True, experiment_id=experiment_id, kind__in=VERDICT_KINDS).order_by("id"))
    covered = covered_types(rules)
    test = production_test(experiment_id)
    with _cache_lock:
        _cache[experiment_id] = (now, rules, covered, test)
    return rules, covered, test


def rules_by_type(type_ids, kinds=VERDICT_KINDS) -> dict[int, list[Rule]]:
    experiments = set(PlotType.objects.filter(pk__in=type_ids).values_list("experiment_id", flat=True))
    rules = list(Rule.objects.filter(enabled=True, experiment_id__in=experiments, kind__in=kinds).order_by("id"))
    covered = covered_types(rules)
    out: dict[int, list[Rule]] = {}
    for rule in rules:
        for type_id in covered[rule.pk] & set(type_ids):
            out.setdefault(type_id, []).append(rule)
    return out


def on_verdicts(classification_ids) -> int:
    """Evaluate the rules of the plot types these verdicts belong to. Returns alarms opened."""
    from apps.monitoring.models import Classification

    rows = list(
        Classification.objects.filter(pk__in=list(classification_ids)).values_list(
            "plot_type_id", "run_number", "plot__experiment_id", "plot__run__conditions"
        )
    )
    by_experiment: dict[int, set[int]] = {}
    newest: dict[int, int] = {}
    for type_id, number, experiment_id, conditions in rows:
        # Verdicts of special (non-production) runs and of simulated images raise nothing.
        if _experiment_rules(experiment_id)[2](number, conditions):
            by_experiment.setdefault(experiment_id, set()).add(type_id)
            newest[experiment_id] = max(number, newest.get(experiment_id, 0))
    return sum(evaluate(types, experiment_id=exp, up_to=newest[exp]) for exp, types in by_experiment.items())


def evaluate(type_ids, now=None, experiment_id: int | None = None, up_to: int | None = None) -> int:
    """Evaluate every verdict rule watching these plot types (of one experiment) against their
    newest production runs (``up_to``: the newest run of the verdicts that led here). Returns alarms opened."""
    now = now or timezone.now()
    type_ids = set(type_ids)
    if experiment_id is None:
        experiments = set(PlotType.objects.filter(pk__in=type_ids).values_list("experiment_id", flat=True))
        return sum(evaluate(type_ids, now, e) for e in experiments)
    rules, covered, test = _experiment_rules(experiment_id)
    by_type: dict[int, list[Rule]] = {}
    for rule in rules:
        for type_id in covered[rule.pk] & type_ids:
            by_type.setdefault(type_id, []).append(rule)
    if not by_type:
        return 0
    keys = [services.open_key(r.pk, t) for t, rules in by_type.items() for r in rules]
    open_alarms = {a.open_key: a for a in Alarm.objects.filter(open_key__in=keys).select_related("rule", "plot_type")}
    window = max(max(r.n, r.streak, r.clear_after, r.flicker_window) for rules in by_type.values() for r in rules) + 1
    histories = run_histories(experiment_id, list(by_type), window, test, up_to=up_to)
    opened = 0
    seen: list[tuple[Alarm, list[str]]] = []
    for type_id, rules in by_type.items():
        history = histories.get(type_id)
        if not history:
            continue
        for rule in rules:
            alarm = open_alarms.get(services.open_key(rule.pk, type_id))
            opened += _apply(rule, type_id, history, alarm, now, seen)
    if seen:
        # Open alarms seen again: one transaction for all of them.
        with transaction.atomic():
            for alarm, fields in seen:
                Alarm.objects.filter(pk=alarm.pk).update(**{f: getattr(alarm, f) for f in fields})
    return opened


def _condition(rule: Rule, history: list[RunVerdict]) -> tuple[str, str] | None:
    """(reason, summary) when the rule's condition holds on the newest runs, else None."""
    newest = history[0]
    if rule.kind == RuleKind.CONFIRMED_BAD and newest.bad:
        return Reason.BAD, f"Confirmed Bad in run {newest.number}"
    if rule.kind == RuleKind.K_OF_N:
        recent = history[: rule.n]
        bad = [h.number for h in recent if h.bad]
        if len(bad) >= rule.k and newest.bad:
            return Reason.BAD, f"Bad in {len(bad)} of the last {len(recent)} runs ({', '.join(map(str, bad))})"
    if rule.kind == RuleKind.UNCONFIRMED_STREAK and len(history) >= rule.streak:
        streak = history[: rule.streak]
        if all(h.state == "unconfirmed" for h in streak):
            return Reason.UNCONFIRMED, f"Unconfirmed verdicts {rule.streak} runs in a row (to run {newest.number})"
    return None


def _flickering(rule: Rule, history: list[RunVerdict]) -> bool:
    return bool(rule.flicker_changes) and changes(history[: rule.flicker_window]) >= rule.flicker_changes


def _apply(rule: Rule, type_id: int, history: list[RunVerdict], alarm: Alarm | None, now, seen: list) -> int:
    flicker = _flickering(rule, history)
    window = history[: rule.flicker_window]
    if alarm is not None:
        _update_open(rule, history, alarm, now, seen, flicker, window)
        return 0
    return _fire_if_met(rule, type_id, history, now, flicker, window)


def _update_open(
    rule: Rule, history: list[RunVerdict], alarm: Alarm, now, seen: list, flicker: bool, window: list[RunVerdict]
) -> None:
    """An open alarm: resolved after enough calm Good runs, else its newest run, reason and plots brought up to date
    (the changed fields added to ``seen``, saved together by ``evaluate``)."""
    newest = history[0]
    calm = len(history) >= rule.clear_after and all(h.state == "good" for h in history[: rule.clear_after])
    if calm and not flicker:
        why = f"{rule.clear_after} Good runs in a row (to run {newest.number})"
        services.resolve(alarm, why=why, last_run=newest.number, now=now)
        return
    fields = []
    if newest.number > (alarm.last_run or 0):
        alarm.last_run, alarm.last_seen_at = newest.number, now
        fields += ["last_run", "last_seen_at"]
    if flicker and alarm.reason != Reason.FLICKER:
        with transaction.atomic():
            alarm.reason = Reason.FLICKER
            alarm.summary = _flicker_summary(window)
            alarm.plot_ids = [p for h in window for p in h.plot_ids]
            fields += ["reason", "summary", "plot_ids"]
            services._event(alarm, EventKind.FLICKER, alarm.summary, runs=[h.number for h in window])
            services._announce(alarm, "flicker")
    elif flicker:
        # Still flickering: the newest runs' plots join those to review.
        merged = list(dict.fromkeys([p for h in window for p in h.plot_ids] + list(alarm.plot_ids)))[:500]
        if merged != alarm.plot_ids:
            alarm.plot_ids = merged
            fields.append("plot_ids")
    if fields:
        seen.append((alarm, fields))


def _fire_if_met(
    rule: Rule, type_id: int, history: list[RunVerdict], now, flicker: bool, window: list[RunVerdict]
) -> int:
    """No open alarm: fire one when the runs flicker or the rule's condition holds; 1 when one was opened."""
    newest = history[0]
    if flicker:
        reason, summary = Reason.FLICKER, _flicker_summary(window)
        plot_ids = [p for h in window for p in h.plot_ids]
        plot_id = next((h.bad_plot for h in window if h.bad_plot), window[0].plot_ids[0])
    else:
        met = _condition(rule, history)
        if met is None:
            return 0
        reason, summary = met
        plot_ids = []
        plot_id = newest.bad_plot or newest.plot_ids[0]
    # A resolved alarm does not come back for the runs it already covered (a later chunk of the same run).
    last = (
        Alarm.objects.filter(rule=rule, plot_type_id=type_id, state=State.RESOLVED)
        .order_by("-id")
        .values_list("last_run", flat=True)
        .first()
    )
    if last is not None and newest.number <= last:
        return 0
    first = history[min(len(history), rule.n if reason == Reason.BAD else rule.streak) - 1].number
    _, created = services.fire(
        rule,
        PlotType.objects.get(pk=type_id),
        reason,
        summary,
        first_run=window[-1].number if reason == Reason.FLICKER else first,
        last_run=newest.number,
        plot_id=plot_id,
        plot_ids=plot_ids,
        now=now,
    )
    return int(created)


def _flicker_summary(window: list[RunVerdict]) -> str:
    seq = ", ".join(f"{h.number} {'Bad' if h.bad else h.state}" for h in reversed(window))
    return f"Verdicts flip between runs ({changes(window)} changes in {len(window)} runs: {seq}); plots sent for review"


# ------------------------------------------------------------------------------------------ validation


def on_validation_report(report) -> int:
    """A finished report: open a validation alarm per failing plot type, resolve those that pass now."""
    from apps.validation.choices import Verdict

    results = list(report.results.select_related("plot_type"))
    by_type = rules_by_type([r.plot_type_id for r in results], kinds=(RuleKind.VALIDATION_FAIL,))
    opened = 0
    for result in results:
        for rule in by_type.get(result.plot_type_id, []):
            key = services.open_key(rule.pk, result.plot_type_id)
            alarm = Alarm.objects.filter(open_key=key).first()
            if result.verdict == Verdict.FAIL and alarm is None:
                summary = f"Validation of {report.campaign} against {report.reference} fails"
                if result.reason:
                    summary += f": {result.reason}"
                _, created = services.fire(
                    rule,
                    result.plot_type,
                    Reason.VALIDATION,
                    summary,
                    plot_id=result.worst_plot_id,
                    plot_ids=[p.get("id") for p in (result.plots or []) if isinstance(p, dict) and p.get("id")],
                )
                opened += int(created)
            elif result.verdict in (Verdict.PASS, Verdict.WARN) and alarm is not None:
                services.resolve(alarm, why=f"Validation of {report.campaign} passes again")
    return opened


# ------------------------------------------------------------------------------------------ staleness


def live_run(experiment_id: int, live_minutes: int, now) -> int | None:
    """The run number being taken now, or None: the newest run whose conditions say it is live
    (``live`` or ``running`` true), else the newest run when a plot of it came in within ``live_minutes``."""
    newest = (
        Plot.objects.filter(experiment_id=experiment_id, run_number__gt=0)
        .order_by("-run_number", "-id")
        .values_list("run_number", "run__conditions")
        .first()
    )
    if newest is None:
        return None
    number, conditions = newest
    conditions = conditions or {}
    for key in ("live", "running", "beam_on"):
        if key in conditions:
            return number if conditions[key] else None
    recent = Plot.objects.filter(
        experiment_id=experiment_id, run_number=number, ingested_at__gte=now - timedelta(minutes=live_minutes)
    ).exists()
    return number if recent else None


def check_staleness(now=None) -> int:
    """Staleness rules: a plot type without a new plot for N minutes while the run is live alarms;
    its alarm resolves when a plot arrives. Returns alarms opened."""
    now = now or timezone.now()
    rules = list(Rule.objects.filter(enabled=True, kind=RuleKind.STALENESS).order_by("id"))
    covered = covered_types(rules)
    opened = 0
    for rule in rules:
        live = live_run(rule.experiment_id, rule.live_minutes, now)
        types = PlotType.objects.in_bulk(list(covered[rule.pk]))
        for type_id, plot_type in types.items():
            newest = (
                Plot.objects.filter(plot_type_id=type_id)
                .order_by("-run_number", "-id")
                .values_list("ingested_at", "run_number")
                .first()
            )
            alarm = Alarm.objects.filter(open_key=services.open_key(rule.pk, type_id)).first()
            fresh = newest is not None and newest[0] >= now - timedelta(minutes=rule.stale_minutes)
            if alarm is not None and (fresh or live is None):
                services.resolve(
                    alarm, why="a new plot arrived" if fresh else "the run is no longer live", last_run=live, now=now
                )
            elif alarm is None and live is not None and not fresh:
                since = f"since {newest[0]:%Y-%m-%d %H:%M} UTC" if newest else "ever"
                _, created = services.fire(
                    rule,
                    plot_type,
                    Reason.STALE,
                    f"No new plot {since} while run {live} is live (limit {rule.stale_minutes} min)",
                    last_run=live,
                    now=now,
                )
                opened += int(created)
    return opened
