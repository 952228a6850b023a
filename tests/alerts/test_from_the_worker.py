"""The classification worker's own path: classify() stores verdicts, sends verdicts_recorded, and a
Bad streak of a real model raises one alarm."""

import pytest

from apps.alerts.choices import Reason, RuleKind, State
from apps.alerts.models import Alarm, Rule
from apps.monitoring.classify import classify
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_bad_streak_classified_by_the_worker_raises_one_alarm():
    exp = factories.experiment()
    cdc = factories.plot_type(exp, "CDC_occupancy", expert_contact="Ann <ann@lab.example>")
    # Both outputs mean Bad, with a threshold of 0: every verdict is a confirmed Bad.
    factories.classifier_model(
        cdc, classes=("Bad", "Bad"), thresholds={"Bad": {"value": 0.0, "set_by": "initial"}}, activate=True
    )
    Rule.objects.create(experiment=exp, name="CDC 2 of 3", plot_type=cdc, kind=RuleKind.K_OF_N)
    plots = [factories.plot(cdc, factories.run(exp, 2000 + i)) for i in range(4)]
    classify([plots[0].pk], gradcam=False)
    assert not Alarm.objects.exists()
    classify([plots[1].pk], gradcam=False)
    alarm = Alarm.objects.get()
    assert (alarm.state, alarm.reason, alarm.first_run, alarm.last_run) == (State.FIRING, Reason.BAD, 2000, 2001)
    classify([p.pk for p in plots[2:]], gradcam=False)
    assert Alarm.objects.count() == 1 and Alarm.objects.get().last_run == 2003
