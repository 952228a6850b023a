"""Sending a brief: one e-mail and one logbook entry queued in the transaction that marks it sent,
delivered to a real SMTP server and logbook, and never twice."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.briefs import services
from apps.briefs.models import Brief
from apps.notifications.models import Delivery
from apps.notifications.services import deliver_due
from tests import factories
from tests.briefs import scene
from tests.briefs.conftest import schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(settings, crew):
    settings.LOGBOOK_URL = settings.LOGBOOK_URL or "http://127.0.0.1:9/{logbook}"
    shift = scene.build()
    schedule(shift.exp)
    brief = services.create(shift.exp, shift.since, shift.until, crew, "Owl")
    return services.set_note(brief, "FCAL flickers: call Ann if it goes Bad again.", crew)


def test_sending_queues_one_email_and_one_logbook_entry_and_marks_the_brief_sent(draft, crew):
    brief, did = services.send(draft, crew)
    assert did and brief.status == "sent" and brief.sent_by == crew
    assert brief.sent_at is not None and timezone.now() - brief.sent_at < timedelta(minutes=1)
    rows = list(Delivery.objects.order_by("channel"))
    assert [(d.channel, d.target) for d in rows] == [("email", "shift@lab.example"), ("logbook", "HDLOG")]
    for d in rows:
        assert d.subject.startswith("GlueX-brief Owl shift brief")
        assert "For the next shift (from shifter):\nFCAL flickers: call Ann if it goes Bad again." in d.body
        assert "Runs taken: 5 (2001 to 2005)" in d.body
        assert d.source == f"brief:{brief.pk}" and d.dedupe_key.startswith(f"brief:{brief.pk}:")
        assert d.payload["brief"] == brief.pk and d.payload["shift"] == "Owl"
        assert d.image  # the worst Bad plot, attached


def test_sending_twice_sends_once(draft, crew):
    services.send(draft, crew)
    again, did = services.send(draft, crew)
    assert not did and again.status == "sent"
    assert Delivery.objects.count() == 2


def test_the_outbox_key_holds_even_when_a_sent_brief_is_sent_again(draft, crew):
    """A brief set back to draft by hand (or a racing sender past the row lock) still queues nothing new."""
    services.send(draft, crew)
    Brief.objects.filter(pk=draft.pk).update(status="draft", sent_at=None)
    _, did = services.send(draft, crew)
    assert did and Delivery.objects.count() == 2


def test_a_brief_that_cannot_be_queued_stays_a_draft_with_nothing_queued(draft, crew):
    from apps.briefs.models import ShiftSchedule

    ShiftSchedule.objects.filter(experiment=draft.experiment).update(logbook="not a name!")
    with pytest.raises(ValidationError, match="Cannot send the brief"):
        services.send(draft, crew)
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.sent_at is None
    assert Delivery.objects.count() == 0


def test_the_note_is_kept_with_its_writer_and_frozen_once_sent(draft, crew):
    assert draft.written_by == crew and "FCAL flickers" in draft.text
    services.send(draft, crew)
    with pytest.raises(ValidationError, match="was sent"):
        services.set_note(draft, "too late", crew)
    draft.refresh_from_db()
    assert draft.note == "FCAL flickers: call Ann if it goes Bad again."


def test_the_brief_reaches_a_real_smtp_server_and_logbook_once(smtp, logbook, crew, settings):
    shift = scene.build()
    schedule(shift.exp)
    brief = services.create(shift.exp, shift.since, shift.until, crew, "Day", note="All quiet after 03:00.")
    services.send(brief, crew)
    deliver_due()
    services.send(brief, crew)
    deliver_due()
    assert Delivery.objects.filter(status="sent").count() == 2
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == ["shift@lab.example"]
    assert message["Subject"].startswith("GlueX-brief Day shift brief")
    body = (
        message.get_payload(decode=True)
        if not message.is_multipart()
        else message.get_payload(0).get_payload(decode=True)
    )
    assert b"All quiet after 03:00." in body and b"Plots classified: 15" in body
    assert len(logbook.posts) == 1
    entry = json.loads(logbook.posts[0].body)
    assert logbook.posts[0].path == "/logbooks/HDLOG/entries"
    assert entry["title"].startswith("GlueX-brief Day shift brief")
    assert "Labels: 5" in entry["text"] and "shift brief" in entry["tags"]


def test_an_experiment_without_a_schedule_uses_the_settings(settings, crew):
    settings.BRIEF_EMAIL_TO = "run-coordinator@lab.example, rc2@lab.example"
    settings.BRIEF_LOGBOOK = "HDLOG"
    settings.LOGBOOK_URL = ""
    exp = factories.experiment()
    now = timezone.now()
    brief = services.write(exp, now - timedelta(hours=8), now, crew, send_now=True)
    assert brief.status == "sent"
    assert sorted(Delivery.objects.values_list("channel", "target")) == [
        ("email", "rc2@lab.example"),
        ("email", "run-coordinator@lab.example"),
    ]
