"""From verdicts to people: a Bad streak raises one alarm whose notifications leave through the outbox
right after the commit, to a real webhook server (signature checked) and a real SMTP server on
loopback; acknowledging stops the escalation; a silence holds; a flicker yields one alarm."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.alerts import services
from apps.alerts.choices import Reason, RuleKind, State
from apps.alerts.models import Alarm
from apps.notifications.models import Delivery
from tests import factories
from tests.alerts.helpers import Line
from tests.notifications.peers import wait_until

# Serialized rollback: the API tests after these (alphabetically) restore the migrations' data the same way.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
SECRET = "shift-hook-secret"


def signed(posted) -> bool:
    expected = "sha256=" + hmac.new(SECRET.encode(), posted.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(posted.headers.get("x-hydra-signature", ""), expected)


@pytest.fixture
def peers(http, smtp, settings):
    settings.WEBHOOK_SECRET = SECRET
    settings.NOTIFY_SEND_ON_COMMIT = True
    http.on_post = lambda posted: 200 if signed(posted) else 401
    return http, smtp


def test_a_bad_streak_reaches_the_webhook_and_the_experts_mailbox_once(peers):
    http, smtp = peers
    line = Line(expert="Ann Lee <ann@lab.example>")
    line.rule(
        kind=RuleKind.K_OF_N,
        targets=[f"webhook:{http.url}/hooks/shift"],
        escalate_after_minutes=10,
        escalation_targets=["email:coordinator@lab.example"],
    )
    line.verdict("Bad")
    line.verdict("Bad")
    alarm = Alarm.objects.get()
    posted = wait_until(lambda: http.posts and http.posts[0], what="the webhook")
    document = json.loads(posted.body)
    assert document["payload"]["alarm"] == alarm.pk and document["payload"]["event"] == "fired"
    assert document["payload"]["plot_type"] == "CDC_occupancy" and document["payload"]["run"] == 1001
    assert "ALARM: CDC_occupancy" in document["subject"] and posted.path == "/hooks/shift"
    recipients, mail = wait_until(lambda: smtp.messages and smtp.messages[0], what="the e-mail")
    assert recipients == ["ann@lab.example"] and "CDC_occupancy" in mail["Subject"]
    assert sorted(Delivery.objects.values_list("channel", "target")) == [
        ("email", "ann@lab.example"),
        ("webhook", f"{http.url}/hooks/shift"),
    ]
    line.verdict("Bad")  # the streak goes on: the same alarm, nobody is told twice
    time.sleep(1.0)
    assert len(http.posts) == 1 and len(smtp.messages) == 1 and Alarm.objects.count() == 1

    services.acknowledge(alarm, factories.user(), "HV trip, Ann called")
    assert services.escalate_due(now=timezone.now() + timedelta(minutes=30)) == 0
    time.sleep(0.5)
    assert [r for r, _ in smtp.messages] == [["ann@lab.example"]]  # the coordinator was never mailed


def test_an_unacknowledged_alarm_escalates_by_mail(peers):
    http, smtp = peers
    line = Line(expert="")
    line.rule(
        kind=RuleKind.CONFIRMED_BAD,
        targets=[f"webhook:{http.url}/hook"],
        escalate_after_minutes=10,
        escalation_targets=["email:coordinator@lab.example"],
    )
    line.verdict("Bad")
    wait_until(lambda: http.posts, what="the webhook")
    assert services.escalate_due(now=timezone.now() + timedelta(minutes=11)) == 1
    recipients, mail = wait_until(lambda: smtp.messages and smtp.messages[0], what="the escalation e-mail")
    assert recipients == ["coordinator@lab.example"] and "not acknowledged" in mail["Subject"]


def test_a_silenced_plot_type_reaches_nobody(peers):
    http, smtp = peers
    line = Line()
    line.rule(kind=RuleKind.CONFIRMED_BAD, targets=[f"webhook:{http.url}/hook"])
    services.silence(
        line.exp, factories.user(), timezone.now() + timedelta(hours=2), "hall access", plot_type=line.ptype
    )
    line.verdict("Bad")
    time.sleep(1.0)
    assert Alarm.objects.get().state == State.FIRING
    assert http.posts == [] and smtp.messages == [] and not Delivery.objects.exists()


def test_a_flickering_plot_type_sends_one_message(peers):
    http, _ = peers
    line = Line(expert="")
    line.rule(kind=RuleKind.CONFIRMED_BAD, targets=[f"webhook:{http.url}/hook"])
    for verdict in ["Good", "Bad", "Good", "Bad", "Good", "Bad", "Good", "Bad"]:
        line.verdict(verdict)
    wait_until(lambda: http.posts, what="the webhook")
    time.sleep(1.0)
    alarm = Alarm.objects.get()
    assert alarm.reason == Reason.FLICKER and len(http.posts) == 1
