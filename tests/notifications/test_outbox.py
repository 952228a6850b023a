"""The outbox: notify's forms, targets checked before anything is written, once-only keys, rows that
commit with the caller's transaction, backoff up to the limit, and retries of failed deliveries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from apps.jobs import scheduler
from apps.notifications import fan_out, notify, services
from apps.notifications.models import Delivery, Status

pytestmark = pytest.mark.django_db


def test_every_form_queues_the_same_rows():
    a = notify("email", "ann@lab.org", "Subject", "Text")
    b = notify("webhook:http://127.0.0.1:9/hook", "Subject", "Text", payload={"severity": "major"})
    c = notify(["epics:HYDRA:CDC:ALARM", "logbook:HDLOG"], subject="S", text="T", data={"severity": "minor"})
    d = fan_out(["email:bob@lab.org"], subject="S", text="T")
    rows = [(r.channel, r.target, r.subject, r.body, r.status, r.attempts) for r in a + b + c + d]
    assert rows == [
        ("email", "ann@lab.org", "Subject", "Text", "queued", 0),
        ("webhook", "http://127.0.0.1:9/hook", "Subject", "Text", "queued", 0),
        ("epics", "HYDRA:CDC:ALARM", "S", "T", "queued", 0),
        ("logbook", "HDLOG", "S", "T", "queued", 0),
        ("email", "bob@lab.org", "S", "T", "queued", 0),
    ]
    assert b[0].payload == {"severity": "major"} and c[1].payload == {"severity": "minor"}
    assert Delivery.objects.count() == 5


@pytest.mark.parametrize(
    "targets, message",
    [
        (["email:ann@lab.org", "fax:123"], "unknown channel 'fax'"),
        (["email:not-an-address"], "is not an e-mail address"),
        (["webhook:ftp://x"], "is not an http(s) URL"),
        (["epics:HAS SPACE"], "is not a PV name"),
        (["logbook:"], "the logbook target is empty"),
        (["nocolon"], "write channel:address"),
    ],
)
def test_strict_a_bad_target_writes_nothing(targets, message):
    with pytest.raises(services.InvalidTarget, match=message.replace("(", r"\(").replace(")", r"\)")):
        notify(targets, subject="S", text="T", strict=True)
    assert not Delivery.objects.exists()
    assert message in " ".join(services.check_targets(targets))


def test_a_bad_target_is_logged_as_failed_and_the_others_are_sent():
    rows = notify(["email:ann@lab.org", "email:not-an-address", "fax:123"], subject="S", text="T", source="alarm:1")
    assert [(r.target, r.status) for r in rows] == [("ann@lab.org", "queued")]
    failed = Delivery.objects.get(status=Status.FAILED)
    assert (failed.channel, failed.target, failed.source) == ("email", "not-an-address", "alarm:1")
    assert failed.last_error == "not sent: 'not-an-address' is not an e-mail address"
    assert Delivery.objects.count() == 2  # the unknown channel is only logged
    assert services.check_targets(["email:ann@lab.org", "webhook:https://x/y"]) == []


def test_a_dedupe_key_is_queued_once():
    first = notify("email:ann@lab.org", "S", "T", dedupe_key="brief:7:email:ann@lab.org")
    again = notify("email:ann@lab.org", "S", "T", dedupe_key="brief:7:email:ann@lab.org")
    many = notify(["email:a@lab.org", "email:b@lab.org"], subject="S", dedupe_key="alarm:3:fired")
    many_again = notify(
        ["email:a@lab.org", "email:b@lab.org", "email:c@lab.org"], subject="S", dedupe_key="alarm:3:fired"
    )
    assert len(first) == 1 and again == []
    assert len(many) == 2 and [r.target for r in many_again] == ["c@lab.org"]
    assert Delivery.objects.count() == 4


def test_rows_roll_back_with_the_event():
    with pytest.raises(RuntimeError), transaction.atomic():
        notify("email:ann@lab.org", "S", "T")
        raise RuntimeError("the event failed")
    assert not Delivery.objects.exists()


def test_backoff_doubles_up_to_the_cap(fast):
    fast.NOTIFY_RETRY_SECONDS, fast.NOTIFY_RETRY_MAX_SECONDS = 5, 60
    assert [services.backoff(n) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]


def test_unreachable_target_is_retried_then_fails_with_the_reason(fast):
    (row,) = notify("webhook:http://127.0.0.1:9/hook", "S", "T")  # port 9: nobody listens
    outcomes = []
    for _ in range(fast.NOTIFY_MAX_ATTEMPTS):
        Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        outcomes.append(services.attempt(row.pk))
    row.refresh_from_db()
    assert outcomes == ["retry"] * (fast.NOTIFY_MAX_ATTEMPTS - 1) + ["failed"]
    assert row.status == Status.FAILED and row.attempts == fast.NOTIFY_MAX_ATTEMPTS
    assert (
        row.last_error.startswith(f"gave up after {fast.NOTIFY_MAX_ATTEMPTS} attempts") and "refused" in row.last_error
    )
    assert services.attempt(row.pk) is None  # failed rows are left alone


def test_a_retry_waits_for_its_time(fast):
    (row,) = notify("webhook:http://127.0.0.1:9/hook", "S", "T")
    assert services.attempt(row.pk) == "retry"
    row.refresh_from_db()
    assert row.next_attempt_at > timezone.now() and services.attempt(row.pk) is None
    assert services.deliver_due() == {"sent": 0, "retry": 0, "failed": 0}


def test_a_claimed_row_is_not_sent_by_a_second_sender():
    (row,) = notify("webhook:http://127.0.0.1:9/hook", "S", "T")
    assert services.claim(row.pk) is not None
    assert services.claim(row.pk) is None
    assert Delivery.objects.get(pk=row.pk).attempts == 1


def test_a_channel_that_is_not_set_up_fails_at_once(settings):
    settings.LOGBOOK_URL = ""
    (row,) = notify("logbook:HDLOG", "S", "T")
    assert services.attempt(row.pk) == "failed"
    row.refresh_from_db()
    assert row.attempts == 1 and row.last_error == "the logbook is off: set HYDRA_LOGBOOK_URL"


def test_retry_queues_a_failed_delivery_again(settings):
    settings.LOGBOOK_URL = ""
    (row,) = notify("logbook:HDLOG", "S", "T")
    services.attempt(row.pk)
    row.refresh_from_db()
    assert services.retry(row) is True
    row.refresh_from_db()
    assert row.status == Status.QUEUED and row.attempts == 0 and row.next_attempt_at <= timezone.now()
    assert services.retry(row) is False  # only failed ones


def test_the_scheduler_runs_delivery():
    task = {t.name: t for t in scheduler.tasks()}["notifications.deliver"]
    assert task.every <= 5
    Delivery.objects.create(channel="logbook", target="X", next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    assert task.func() == {"sent": 0, "retry": 0, "failed": 1}
