"""Targets down for a while: the SMTP server and the webhook server are off when the notification is
queued, the attempts right after the commit and the scheduler's retries fail, the server comes up on
its port, and the message arrives once. Also: with the target up, delivery right after the commit."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from apps.jobs import scheduler
from apps.notifications import notify
from apps.notifications.models import Delivery, Status
from tests.notifications.peers import HTTPServer, SMTPServer, free_port, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def delivering(fast):
    """The real scheduler loop, running only the delivery task."""
    loop = scheduler.Scheduler(tick=0.1, only={"notifications.deliver"}, owner="test-faults")
    loop.start()
    yield loop
    loop.stop(timeout=60)


def queue(*args, **kwargs) -> Delivery:
    with transaction.atomic():
        (row,) = notify(*args, **kwargs)
    return row


def test_smtp_down_then_up_delivers_once(settings, delivering):
    server = SMTPServer(port=free_port())
    server.settings(settings)
    row = queue("email:shift@lab.example", "[Hydra] ALARM", "down for a while")
    wait_until(lambda: Delivery.objects.get(pk=row.pk).attempts >= 2, 30, "two failed attempts")
    row.refresh_from_db()
    assert row.status == Status.QUEUED and "refused" in row.last_error.lower()
    server.start()
    try:
        wait_until(lambda: Delivery.objects.get(pk=row.pk).status == Status.SENT, 30, "the delivery")
        time.sleep(3)  # more scheduler passes: nothing is sent again
        assert len(server.messages) == 1 and server.messages[0][1]["Subject"] == "[Hydra] ALARM"
        row.refresh_from_db()
        assert row.attempts >= 3 and row.last_error == "" and row.sent_at is not None
    finally:
        server.stop()


def test_webhook_down_then_up_delivers_once(delivering):
    server = HTTPServer(port=free_port())
    row = queue(f"webhook:{server.url}/hook", "[Hydra] ALARM", "down for a while", payload={"severity": "major"})
    wait_until(lambda: Delivery.objects.get(pk=row.pk).attempts >= 2, 30, "two failed attempts")
    assert Delivery.objects.get(pk=row.pk).status == Status.QUEUED
    server.start()
    try:
        wait_until(lambda: Delivery.objects.get(pk=row.pk).status == Status.SENT, 30, "the delivery")
        time.sleep(3)
        assert len(server.posts) == 1
    finally:
        server.stop()


def test_a_target_that_is_up_gets_it_right_after_the_commit(fast):
    server = HTTPServer().start()
    try:
        started = time.monotonic()
        row = queue(f"webhook:{server.url}/hook", "[Hydra] ALARM", "at once")
        wait_until(lambda: server.posts, 5, "the webhook")
        took = time.monotonic() - started
        assert took < 2.0
        wait_until(lambda: Delivery.objects.get(pk=row.pk).status == Status.SENT, 10, "the row marked sent")
        assert Delivery.objects.get(pk=row.pk).attempts == 1
    finally:
        server.stop()


def test_nothing_is_sent_for_a_rolled_back_event(fast):
    server = HTTPServer().start()
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(f"webhook:{server.url}/hook", "S", "T")
            raise RuntimeError("the alarm was not saved")
        time.sleep(1)
        assert server.posts == [] and not Delivery.objects.exists()
    finally:
        server.stop()
