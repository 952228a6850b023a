"""A shift's worth of real rows: plots, verdicts (Bad and an unconfirmed streak), labels by two people,
a model activation, a finished validation report and alarms, plus older rows the brief must leave out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from apps.alerts.choices import Reason, State
from apps.alerts.models import Alarm, Rule
from apps.labels.models import Label
from apps.monitoring.models import Activation, Classification
from apps.plots.models import Plot
from apps.validation.choices import ReportStatus
from tests import factories

RUNS = (2001, 2002, 2003, 2004, 2005)
# plot type → per run: (verdict, confirmed, confidence)
VERDICTS = {
    "CDC_occupancy": [
        ("Good", True, 0.95),
        ("Bad", True, 0.97),
        ("Bad", False, 0.61),
        ("Good", True, 0.9),
        ("Good", True, 0.9),
    ],
    "FCAL_hits": [
        ("Good", True, 0.9),
        ("Good", False, 0.55),
        ("Good", False, 0.52),
        ("Good", False, 0.58),
        ("Good", True, 0.9),
    ],
    "BCAL_timing": [
        ("Good", True, 0.9),
        ("Good", True, 0.9),
        ("Good", True, 0.9),
        ("Good", True, 0.9),
        ("Bad", True, 0.91),
    ],
}


@dataclass
class Shift:
    exp: object
    since: object
    until: object
    types: dict = field(default_factory=dict)
    plots: dict = field(default_factory=dict)  # (type name, run) → plot
    people: dict = field(default_factory=dict)
    alarms: dict = field(default_factory=dict)


def build() -> Shift:
    exp = factories.experiment("GlueX-brief")
    since = timezone.now() - timedelta(minutes=5)
    shift = Shift(exp=exp, since=since, until=None)
    runs = {n: factories.run(exp, n) for n in RUNS}
    models = {}
    for name, verdicts in VERDICTS.items():
        ptype = factories.plot_type(exp, name, expert_contact="Ann Lee <ann@lab.example>")
        shift.types[name] = ptype
        models[name] = factories.model_row(ptype)
        for number, (verdict, confirmed, confidence) in zip(RUNS, verdicts, strict=True):
            plot = factories.plot(ptype, runs[number])
            shift.plots[(name, number)] = plot
            factories.classification(plot, models[name], verdict, confidence=confidence, confirmed=confirmed)

    # Older rows: a plot and a Bad verdict of two days ago, an old label, an old resolved alarm.
    old_run = factories.run(exp, 1999)
    old = factories.plot(shift.types["CDC_occupancy"], old_run)
    factories.classification(old, models["CDC_occupancy"], "Bad", confidence=0.99, confirmed=True)
    two_days = timezone.now() - timedelta(days=2)
    Plot.objects.filter(pk=old.pk).update(ingested_at=two_days)
    Classification.objects.filter(plot=old).update(created_at=two_days)

    alice = factories.user("alice")
    bob = factories.user("bob")
    carol = factories.user("carol")
    shift.people = {"alice": alice, "bob": bob, "carol": carol}
    bad, good = factories.label_class(exp, "Bad"), factories.label_class(exp, "Good")
    factories.label(shift.plots[("CDC_occupancy", 2002)], bad, alice)
    factories.label(shift.plots[("CDC_occupancy", 2003)], bad, alice)
    factories.label(shift.plots[("FCAL_hits", 2002)], good, alice)
    factories.label(shift.plots[("FCAL_hits", 2003)], good, bob)
    factories.label(shift.plots[("BCAL_timing", 2005)], bad, bob)
    stale = factories.label(old, bad, bob)
    Label.objects.filter(pk=stale.pk).update(created_at=two_days)

    newer = factories.model_row(shift.types["CDC_occupancy"], version=2)
    Activation.objects.create(
        plot_type=shift.types["CDC_occupancy"], model=newer, previous=models["CDC_occupancy"], user=carol, note="v2"
    )

    online, reference = factories.campaign(exp, "online"), factories.campaign(exp, "reference")
    factories.validation_report(
        online,
        reference,
        status=ReportStatus.READY,
        computed_at=timezone.now(),
        summary={"verdict": "fail", "counts": {"pass": 2, "warn": 0, "fail": 1, "non_comparable": 0}},
    )
    factories.validation_report(online, reference, conditions="beam_on", status=ReportStatus.PENDING)

    rule = Rule.objects.create(experiment=exp, name="CDC rule", plot_type=shift.types["CDC_occupancy"])
    flicker_rule = Rule.objects.create(experiment=exp, name="FCAL rule", plot_type=shift.types["FCAL_hits"])
    now = timezone.now()
    shift.alarms["bad"] = Alarm.objects.create(
        experiment=exp,
        rule=rule,
        plot_type=shift.types["CDC_occupancy"],
        reason=Reason.BAD,
        state=State.ACKNOWLEDGED,
        state_order=1,
        summary="2 Bad of the last 3 runs",
        first_run=2002,
        last_run=2003,
        opened_at=now,
        acknowledged_by=carol,
        acknowledged_at=now,
        ack_comment="HV trip, called Ann",
    )
    shift.alarms["flicker"] = Alarm.objects.create(
        experiment=exp,
        rule=flicker_rule,
        plot_type=shift.types["FCAL_hits"],
        reason=Reason.FLICKER,
        summary="Good, Bad, Good",
        opened_at=now,
    )
    Alarm.objects.create(
        experiment=exp,
        rule=rule,
        plot_type=shift.types["CDC_occupancy"],
        reason=Reason.BAD,
        state=State.RESOLVED,
        state_order=2,
        summary="last week",
        opened_at=now - timedelta(days=3),
        resolved_at=now - timedelta(days=3) + timedelta(hours=1),
    )
    shift.until = timezone.now() + timedelta(minutes=1)
    return shift
