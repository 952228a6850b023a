"""Verdicts run by run, as the classification worker stores them, and the signal it sends."""

from __future__ import annotations

from apps.alerts.models import Rule
from apps.experiments.models import Run
from apps.monitoring.models import Classification
from apps.monitoring.signals import verdicts_recorded
from tests import factories


class Line:
    """One plot type of one experiment with an active model; ``verdict`` adds a run and its verdict."""

    def __init__(self, exp=None, name="CDC_occupancy", expert="Ann Lee <ann@lab.example>", first_run=1000):
        self.exp = exp or factories.experiment()
        self.ptype = factories.plot_type(self.exp, name, expert_contact=expert)
        self.model = factories.model_row(self.ptype)
        self.next_run = first_run
        self.plots = []

    def verdict(self, verdict="Bad", confirmed=True, conditions=None, chunks=1, number=None):
        number = number if number is not None else self.next_run
        self.next_run = max(self.next_run, number) + 1
        run = Run.objects.filter(experiment=self.exp, number=number).first()
        run = run or factories.run(self.exp, number, conditions=conditions or {})
        ids = []
        for chunk in range(chunks):
            plot = factories.plot(self.ptype, run, chunk=chunk)
            self.plots.append(plot)
            ids.append(factories.classification(plot, self.model, verdict, confirmed=confirmed).pk)
        verdicts_recorded.send(Classification, classification_ids=ids)
        return run

    def rule(self, **kw) -> Rule:
        kw.setdefault("name", f"{self.ptype.name} rule")
        kw.setdefault("plot_type", None if "plot_group" in kw else self.ptype)
        kw.setdefault("targets", ["email:shift@lab.example"])
        return Rule.objects.create(experiment=self.exp, **kw)
