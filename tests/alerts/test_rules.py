"""Rules on verdicts: k of n, confirmed Bad, unconfirmed streaks, hysteresis, flicker, production runs."""

import pytest

from apps.alerts.choices import EventKind, Reason, RuleKind, State
from apps.alerts.models import Alarm
from apps.notifications.models import Delivery
from tests import factories
from tests.alerts.helpers import Line

pytestmark = pytest.mark.django_db


def test_two_bad_of_three_runs_raise_one_alarm_however_many_bad_runs_follow():
    line = Line()
    line.rule(kind=RuleKind.K_OF_N)
    line.verdict("Bad")
    assert not Alarm.objects.exists()
    line.verdict("Good")
    line.verdict("Bad")
    alarm = Alarm.objects.get()
    assert alarm.state == State.FIRING and alarm.reason == Reason.BAD
    assert alarm.first_run == 1000 and alarm.last_run == 1002
    assert "2 of the last 3 runs" in alarm.summary
    for _ in range(4):
        line.verdict("Bad", chunks=2)
    assert Alarm.objects.count() == 1
    assert Alarm.objects.get().last_run == 1006


def test_a_bad_streak_notifies_the_expert_and_the_shift_crew_once():
    line = Line()
    line.rule(kind=RuleKind.K_OF_N, targets=["email:shift@lab.example", "webhook:http://127.0.0.1:9/hook"])
    for _ in range(4):
        line.verdict("Bad")
    alarm = Alarm.objects.get()
    notified = alarm.events.filter(kind=EventKind.NOTIFIED)
    assert notified.count() == 1
    assert notified.get().details["targets"] == [
        "email:ann@lab.example",
        "email:shift@lab.example",
        "webhook:http://127.0.0.1:9/hook",
    ]
    assert alarm.notifications == 1
    # One delivery per target, queued in the outbox with the alarm.
    assert sorted(Delivery.objects.values_list("channel", "target", "source")) == [
        ("email", "ann@lab.example", f"alarm:{alarm.pk}"),
        ("email", "shift@lab.example", f"alarm:{alarm.pk}"),
        ("webhook", "http://127.0.0.1:9/hook", f"alarm:{alarm.pk}"),
    ]


def test_the_alarm_clears_only_after_m_consecutive_good_runs():
    line = Line()
    line.rule(kind=RuleKind.CONFIRMED_BAD, clear_after=3, flicker_changes=0)
    line.verdict("Bad")
    alarm = Alarm.objects.get()
    line.verdict("Good")
    line.verdict("Good")
    alarm.refresh_from_db()
    assert alarm.state == State.FIRING
    line.verdict("Good")
    alarm.refresh_from_db()
    assert alarm.state == State.RESOLVED and alarm.open_key is None
    assert "3 Good runs in a row" in alarm.events.get(kind=EventKind.RESOLVED).text
    line.verdict("Good")
    line.verdict("Bad")
    assert Alarm.objects.filter(state=State.FIRING).count() == 1 and Alarm.objects.count() == 2


def test_a_flickering_plot_type_raises_one_flicker_alarm_and_sends_its_plots_to_review():
    line = Line()
    line.rule(kind=RuleKind.CONFIRMED_BAD, clear_after=2)
    for verdict in ["Good", "Bad", "Good", "Bad", "Good", "Bad", "Good", "Bad"]:
        line.verdict(verdict)
    alarm = Alarm.objects.get()
    assert alarm.reason == Reason.FLICKER and alarm.state == State.FIRING
    assert alarm.events.filter(kind=EventKind.NOTIFIED).count() == 1
    # Every plot of the flickering runs is listed for review in the labeler.
    assert set(alarm.plot_ids) == {p.pk for p in line.plots}


def test_a_flicker_with_clear_after_one_still_raises_a_single_alarm_once_detected():
    line = Line()
    line.rule(kind=RuleKind.K_OF_N, k=1, n=1, clear_after=2)
    for verdict in ["Bad", "Good", "Bad", "Good", "Bad", "Good", "Bad"]:
        line.verdict(verdict)
    assert Alarm.objects.count() == 1


def test_unconfirmed_streak_fires_after_s_runs_in_a_row():
    line = Line()
    line.rule(kind=RuleKind.UNCONFIRMED_STREAK, streak=3)
    line.verdict("Good", confirmed=False)
    line.verdict("Bad", confirmed=False)
    assert not Alarm.objects.exists()
    line.verdict("Good", confirmed=False)
    alarm = Alarm.objects.get()
    assert alarm.reason == Reason.UNCONFIRMED and alarm.first_run == 1000


def test_verdicts_of_special_runs_raise_nothing_and_do_not_count_in_the_window():
    line = Line()
    line.exp.production_conditions = 'run_type == "production" and beam_current > 50'
    line.exp.save()
    line.rule(kind=RuleKind.K_OF_N)
    line.verdict("Bad", conditions={"run_type": "cosmics"})
    line.verdict("Bad", conditions={"run_type": "production", "beam_current": 10})
    line.verdict("Bad", conditions={"run_type": "production", "beam_current": 120})
    assert not Alarm.objects.exists()  # one Bad production run of the last three
    line.verdict("Bad", conditions={"run_type": "production", "beam_current": 130})
    alarm = Alarm.objects.get()
    assert (alarm.first_run, alarm.last_run) == (1002, 1003)


def test_simulated_images_raise_nothing():
    line = Line()
    line.rule(kind=RuleKind.CONFIRMED_BAD)
    line.verdict("Bad", number=0)
    assert not Alarm.objects.exists()


def test_a_group_rule_watches_the_plot_types_of_its_sub_groups():
    line = Line()
    inner = factories.plot_group(line.exp, "Drift chambers", types=[line.ptype])
    outer = factories.plot_group(line.exp, "Tracking")
    inner.parents.add(outer)
    line.rule(kind=RuleKind.CONFIRMED_BAD, plot_group=outer)
    line.verdict("Bad")
    assert Alarm.objects.get().plot_type == line.ptype


def test_a_disabled_rule_and_another_experiments_rule_stay_quiet():
    line = Line()
    line.rule(kind=RuleKind.CONFIRMED_BAD, enabled=False)
    other = Line(name="BCAL_energy")
    other.rule(kind=RuleKind.CONFIRMED_BAD)
    line.verdict("Bad")
    assert not Alarm.objects.exists()
