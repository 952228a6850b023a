"""Lifecycle: escalation stops at acknowledgement, repeats keep their interval, silences hold,
staleness while the run is live, validation fails; every change audited and announced."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.alerts import services
from apps.alerts.choices import EventKind, Reason, RuleKind, State
from apps.alerts.evaluate import check_staleness
from apps.alerts.models import Alarm
from apps.audit.models import AuditEntry
from apps.plots.models import Plot
from tests import factories
from tests.alerts.helpers import Line

pytestmark = pytest.mark.django_db


def fired(line, **rule):
    line.rule(kind=RuleKind.CONFIRMED_BAD, **rule)
    line.verdict("Bad")
    return Alarm.objects.get()


def test_an_unacknowledged_alarm_escalates_once_to_the_second_contact():
    line = Line()
    alarm = fired(line, escalate_after_minutes=15, escalation_targets=["email:coordinator@lab.example"])
    assert services.escalate_due(now=alarm.opened_at + timedelta(minutes=14)) == 0
    later = alarm.opened_at + timedelta(minutes=16)
    assert services.escalate_due(now=later) == 1
    assert services.escalate_due(now=later + timedelta(minutes=30)) == 0
    event = alarm.events.get(kind=EventKind.ESCALATED)
    assert event.details["targets"] == ["email:coordinator@lab.example"]
    alarm.refresh_from_db()
    assert alarm.escalated_at == later and alarm.notifications == 2
    assert AuditEntry.objects.filter(action="alarm.escalate", object_id=str(alarm.pk)).count() == 1


def test_acknowledging_stops_escalation_and_repeats():
    line = Line()
    alarm = fired(line, escalate_after_minutes=15, escalation_targets=["email:boss@lab.example"], repeat_hours=1)
    services.acknowledge(alarm, factories.user(), "looking at it")
    much_later = alarm.opened_at + timedelta(hours=5)
    assert services.escalate_due(now=much_later) == 0
    assert services.repeat_due(now=much_later) == 0
    assert not alarm.events.filter(kind__in=[EventKind.ESCALATED, EventKind.REPEATED]).exists()


def test_a_firing_alarm_repeats_at_most_every_r_hours():
    line = Line()
    alarm = fired(line, repeat_hours=2)
    start = alarm.last_notified_at
    assert services.repeat_due(now=start + timedelta(hours=1)) == 0
    assert services.repeat_due(now=start + timedelta(hours=2, minutes=1)) == 1
    assert services.repeat_due(now=start + timedelta(hours=3)) == 0
    assert services.repeat_due(now=start + timedelta(hours=4, minutes=2)) == 1
    assert alarm.events.filter(kind=EventKind.REPEATED).count() == 2
    line.verdict("Bad")  # more Bad verdicts do not notify again by themselves
    assert Alarm.objects.get().events.filter(kind=EventKind.NOTIFIED).count() == 1


def test_a_silence_holds_notifications_but_the_alarm_is_still_raised():
    line = Line()
    group = factories.plot_group(line.exp, "Tracking", types=[line.ptype])
    services.silence(line.exp, factories.user(), timezone.now() + timedelta(hours=4), "access", plot_group=group)
    alarm = fired(line, repeat_hours=1, escalate_after_minutes=5, escalation_targets=["email:boss@lab.example"])
    assert alarm.state == State.FIRING and alarm.notifications == 0
    assert not alarm.events.filter(kind=EventKind.NOTIFIED).exists()
    assert alarm.events.filter(kind=EventKind.SUPPRESSED).count() == 1
    services.escalate_due(now=timezone.now() + timedelta(minutes=10))
    alarm.refresh_from_db()
    assert alarm.notifications == 0 and alarm.events.filter(kind=EventKind.SUPPRESSED).count() == 2


def test_a_silence_ends_and_notifications_resume():
    line = Line()
    services.silence(
        line.exp, factories.user(), timezone.now() + timedelta(minutes=30), "short access", plot_type=line.ptype
    )
    alarm = fired(line, repeat_hours=1)
    assert alarm.notifications == 0
    alarm.last_notified_at = timezone.now()
    alarm.save()
    assert services.repeat_due(now=timezone.now() + timedelta(hours=1, minutes=5)) == 1
    alarm.refresh_from_db()
    assert alarm.notifications == 1


def test_staleness_fires_while_the_run_is_live_and_resolves_when_a_plot_arrives():
    line = Line()
    other = factories.plot_type(line.exp, "FCAL_hits")
    line.rule(kind=RuleKind.STALENESS, plot_type=other, stale_minutes=20, live_minutes=30)
    run = factories.run(line.exp, 5000)
    old = factories.plot(other, run)
    Plot.objects.filter(pk=old.pk).update(ingested_at=timezone.now() - timedelta(minutes=45))
    factories.plot(line.ptype, run)  # the run is live: a plot of it came in just now
    assert check_staleness() == 1
    alarm = Alarm.objects.get()
    assert alarm.reason == Reason.STALE and alarm.last_run == 5000
    assert check_staleness() == 0
    factories.plot(other, run, chunk=1)
    check_staleness()
    alarm.refresh_from_db()
    assert alarm.state == State.RESOLVED
    assert "a new plot arrived" in alarm.events.get(kind=EventKind.RESOLVED).text


def test_no_staleness_alarm_when_no_run_is_live():
    line = Line()
    line.rule(kind=RuleKind.STALENESS, stale_minutes=20, live_minutes=30)
    plot = factories.plot(line.ptype, factories.run(line.exp, 5000))
    Plot.objects.filter(pk=plot.pk).update(ingested_at=timezone.now() - timedelta(hours=3))
    assert check_staleness() == 0


def test_a_failing_validation_report_raises_an_alarm_and_a_passing_one_resolves_it():
    from apps.validation.choices import ReportStatus, Verdict
    from apps.validation.models import ValidationResult

    line = Line()
    line.rule(kind=RuleKind.VALIDATION_FAIL)
    report = factories.validation_report(factories.campaign(line.exp, "sim-v2"), factories.campaign(line.exp, "ref"))
    result = ValidationResult.objects.create(
        report=report, plot_type=line.ptype, verdict=Verdict.FAIL, reason="peak moved"
    )
    report.status = ReportStatus.READY
    report.save(update_fields=["status"])
    alarm = Alarm.objects.get()
    assert alarm.reason == Reason.VALIDATION and "peak moved" in alarm.summary
    result.verdict = Verdict.PASS
    result.save()
    report.save(update_fields=["status"])
    alarm.refresh_from_db()
    assert alarm.state == State.RESOLVED


def test_every_change_is_announced_on_the_alerts_topic(django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr("apps.core.events.publish", lambda topic, kind, payload: sent.append((topic, kind, payload)))
    line = Line()
    line.rule(kind=RuleKind.CONFIRMED_BAD)
    with django_capture_on_commit_callbacks(execute=True):
        line.verdict("Bad")
        alarm = Alarm.objects.get()
        services.acknowledge(alarm, factories.user(), "")
        services.resolve(alarm, factories.user())
    whats = [p["what"] for topic, kind, p in sent if topic == "alerts"]
    assert whats == ["fired", "acknowledged", "resolved"]
    assert all(p["plot_type_name"] == "CDC_occupancy" for topic, _, p in sent if topic == "alerts")


def test_the_scheduler_runs_the_alarm_pass_every_minute():
    from apps.jobs import scheduler

    task = {t.name: t for t in scheduler.tasks()}["alarms"]
    assert task.every == 60
    line = Line()
    alarm = fired(line, escalate_after_minutes=1, escalation_targets=["email:boss@lab.example"])
    Alarm.objects.filter(pk=alarm.pk).update(opened_at=timezone.now() - timedelta(minutes=2))
    assert task.func() == {"escalated": 1, "repeated": 0, "stale": 0}
    assert Alarm.objects.get().escalated_at is not None
