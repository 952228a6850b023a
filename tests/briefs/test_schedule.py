"""Schedules: the shift that just ended, a draft written once per shift by the scheduler's task (with
its Job), and a draft nobody sent going out after the grace period."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.briefs import services
from apps.briefs.models import Brief, ShiftSchedule
from apps.jobs.models import Job
from apps.notifications.models import Delivery
from tests import factories
from tests.briefs.conftest import schedule

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


def at(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "start", "end", "name"),
    [
        (at(4, 15, 30), at(4, 7), at(4, 15), "Day"),
        (at(4, 23, 0), at(4, 15), at(4, 23), "Swing"),
        (at(5, 6, 59), at(4, 15), at(4, 23), "Swing"),
        (at(5, 7, 0), at(4, 23), at(5, 7), "Owl"),
    ],
)
def test_three_shifts_name_the_one_that_just_ended(settings, now, start, end, name):
    settings.TIME_ZONE = "UTC"
    s = ShiftSchedule(shift_hours="7,15,23", shift_names="Day,Swing,Owl")
    assert services.last_shift(s, now) == (start, end, name)


def test_shifts_follow_the_local_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    s = ShiftSchedule(shift_hours="7,15,23", shift_names="Day,Swing,Owl")
    with timezone.override("America/New_York"):
        start, end, name = services.last_shift(s, at(4, 20, 30))  # 15:30 in Newport News
    assert name == "Day" and end.astimezone(UTC) == at(4, 20) and end - start == timedelta(hours=8)


def test_a_daily_schedule_covers_the_24_hours_up_to_its_hour(settings):
    settings.TIME_ZONE = "UTC"
    s = ShiftSchedule(kind="daily", daily_hour=8)
    assert services.last_shift(s, at(4, 7, 59)) == (at(2, 8), at(3, 8), "Daily")
    assert services.last_shift(s, at(4, 8, 0)) == (at(3, 8), at(4, 8), "Daily")


def test_a_schedule_rejects_bad_hours_names_and_addresses():
    exp = factories.experiment()
    with pytest.raises(ValidationError, match="0 to 23"):
        ShiftSchedule(experiment=exp, shift_hours="7,15,25").full_clean()
    with pytest.raises(ValidationError, match="Name each of the 3 shifts"):
        ShiftSchedule(experiment=exp, shift_names="Day,Night").full_clean()
    with pytest.raises(ValidationError, match="Not an e-mail address: shift-at-lab"):
        ShiftSchedule(experiment=exp, email_to="ok@lab.example, shift-at-lab").full_clean()


def test_the_task_writes_one_draft_per_shift_with_its_job(settings):
    settings.TIME_ZONE = "UTC"
    exp = factories.experiment()
    schedule(exp, grace_minutes=60)
    assert services.write_due(at(4, 15, 1)) == {"written": 1, "sent": 0}
    assert services.write_due(at(4, 15, 2)) == {"written": 0, "sent": 0}
    brief = Brief.objects.get()
    assert (brief.period_start, brief.period_end, brief.shift_name) == (at(4, 7), at(4, 15), "Day")
    assert brief.automatic and brief.status == "draft" and brief.content["plots"]["ingested"] == 0
    job = Job.objects.get(kind="brief")
    assert job.status == "done" and job.result["brief"] == brief.pk


def test_a_draft_nobody_sent_goes_out_after_the_grace_period(settings):
    settings.TIME_ZONE = "UTC"
    exp = factories.experiment()
    schedule(exp, grace_minutes=30)
    services.write_due(at(4, 15, 1))
    assert services.write_due(at(4, 15, 29))["sent"] == 0
    assert services.write_due(at(4, 15, 30))["sent"] == 1
    brief = Brief.objects.get()
    assert brief.status == "sent" and brief.sent_by is None
    assert Delivery.objects.filter(channel="email", target="shift@lab.example").count() == 1
    assert services.write_due(at(4, 15, 31))["sent"] == 0


def test_a_disabled_schedule_writes_nothing(settings):
    settings.TIME_ZONE = "UTC"
    schedule(factories.experiment(), enabled=False)
    assert services.write_due(at(4, 15, 1)) == {"written": 0, "sent": 0}


def test_the_task_is_registered_with_the_scheduler():
    from apps.jobs import scheduler

    task = next(t for t in scheduler.tasks() if t.name == "briefs")
    assert task.every == 60
