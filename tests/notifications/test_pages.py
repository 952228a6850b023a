"""The delivery log page: admins and experts only, filters, bad filters as 400, Retry of failed ones."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.accounts.roles import ADMIN, DETECTOR_EXPERT, LABELER, VIEWER
from apps.audit.models import AuditEntry
from apps.notifications.models import Delivery, Status
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliveries():
    now = timezone.now()
    rows = [
        Delivery.objects.create(
            channel="email", target="ann@lab.org", subject="Alarm CDC", status=Status.SENT, sent_at=now
        ),
        Delivery.objects.create(
            channel="webhook",
            target="https://chat.lab/hooks/x",
            subject="Alarm FDC",
            status=Status.FAILED,
            attempts=12,
            last_error="gave up after 12 attempts: URLError: refused",
            source="alarm:4",
        ),
        Delivery.objects.create(channel="epics", target="HYDRA:CDC:ALARM", subject="Alarm CDC", attempts=2),
    ]
    return rows


def client_as(client, *roles):
    client.force_login(factories.user(roles=roles))
    return client


def test_anonymous_visitors_go_to_the_login_page(client, deliveries):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("role", [VIEWER, LABELER])
def test_viewers_and_labelers_may_not_see_it(client, deliveries, role):
    assert client_as(client, role).get("/notifications/").status_code == 403
    assert client.post(f"/notifications/{deliveries[1].pk}/retry").status_code == 403
    assert Delivery.objects.get(pk=deliveries[1].pk).status == Status.FAILED


@pytest.mark.parametrize("role", [ADMIN, DETECTOR_EXPERT])
def test_admins_and_experts_see_every_delivery_newest_first(client, deliveries, role):
    response = client_as(client, role).get("/notifications/")
    assert response.status_code == 200
    rows = list(response.context["deliveries"])
    assert [r.pk for r in rows] == [d.pk for d in reversed(deliveries)]
    assert response.context["queued"] == 1 and response.context["failed"] == 1
    html = response.content.decode()
    assert "gave up after 12 attempts: URLError: refused" in html and "https://chat.lab/hooks/x" in html
    assert html.count(">Retry</button>") == 1  # only the failed one


def test_filters_by_channel_status_and_source(client, deliveries):
    client_as(client, DETECTOR_EXPERT)
    pick = lambda query: [r.pk for r in client.get(f"/notifications/?{query}").context["deliveries"]]  # noqa: E731
    assert pick("status=failed") == [deliveries[1].pk]
    assert pick("channel=email") == [deliveries[0].pk]
    assert pick("channel=epics&status=queued") == [deliveries[2].pk]
    assert pick("channel=email&status=failed") == []
    assert pick("source=alarm:4") == [deliveries[1].pk]
    assert pick(f"id={deliveries[2].pk}") == [deliveries[2].pk]


@pytest.mark.parametrize(
    "query, field",
    [("channel=fax", "channel"), ("status=lost", "status"), ("id=abc", "id"), ("after=garbage", "after")],
)
def test_bad_filters_answer_400_naming_the_parameter(client, deliveries, query, field):
    response = client_as(client, ADMIN).get(f"/notifications/?{query}", HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and field in response.json()["errors"]


def test_pages_follow_on_with_a_cursor(client, deliveries):
    for n in range(60):
        Delivery.objects.create(channel="email", target=f"p{n}@lab.org", status=Status.SENT)
    client_as(client, ADMIN)
    first = client.get("/notifications/")
    assert len(first.context["deliveries"]) == 50 and first.context["next_query"]
    second = client.get("/notifications/" + first.context["next_query"])
    seen = [r.pk for r in first.context["deliveries"]] + [r.pk for r in second.context["deliveries"]]
    assert len(seen) == 63 and len(set(seen)) == 63 and not second.context["next_query"]


def test_retry_queues_a_failed_delivery_again_and_is_audited(client, deliveries, settings):
    settings.NOTIFY_SEND_ON_COMMIT = False
    client_as(client, ADMIN)
    failed = deliveries[1]
    response = client.post(f"/notifications/{failed.pk}/retry", {"query": "status=failed"})
    assert response.status_code == 302 and response["Location"] == "/notifications/?status=failed"
    failed.refresh_from_db()
    assert failed.status == Status.QUEUED and failed.attempts == 0
    assert AuditEntry.objects.filter(action="notification.retry", object_id=str(failed.pk)).exists()
    again = client.post(f"/notifications/{deliveries[0].pk}/retry", follow=True)
    assert "only failed ones are retried" in again.content.decode()
    assert Delivery.objects.get(pk=deliveries[0].pk).status == Status.SENT
    assert client.post("/notifications/999999/retry").status_code == 404
    assert client.get(f"/notifications/{failed.pk}/retry").status_code == 405


def test_the_admin_lists_and_retries(client, deliveries, settings):
    settings.NOTIFY_SEND_ON_COMMIT = False
    client.force_login(factories.user(is_staff=True, is_superuser=True))
    assert "Alarm FDC" in client.get("/admin/notifications/delivery/?status__exact=failed").content.decode()
    data = {"action": "retry_failed", "_selected_action": [d.pk for d in deliveries]}
    client.post("/admin/notifications/delivery/", data)
    assert Delivery.objects.get(pk=deliveries[1].pk).status == Status.QUEUED
    assert Delivery.objects.get(pk=deliveries[0].pk).status == Status.SENT


def api_as(client, *roles):
    client.force_login(factories.user(roles=roles))
    return client


def test_the_api_lists_filters_and_retries(client, deliveries, settings):
    settings.NOTIFY_SEND_ON_COMMIT = False
    assert client.get("/api/v1/deliveries/").status_code in (401, 403)
    api_as(client, VIEWER)
    assert client.get("/api/v1/deliveries/").status_code == 403
    api_as(client, DETECTOR_EXPERT)
    body = client.get("/api/v1/deliveries/?status=failed").json()
    (row,) = body["results"]
    assert row["id"] == deliveries[1].pk and row["last_error"].startswith("gave up after 12 attempts")
    assert [r["id"] for r in client.get("/api/v1/deliveries/").json()["results"]] == [
        d.pk for d in reversed(deliveries)
    ]
    bad = client.get("/api/v1/deliveries/?channel=fax")
    assert bad.status_code == 400 and "channel" in bad.content.decode()
    retried = client.post(f"/api/v1/deliveries/{deliveries[1].pk}/retry/")
    assert retried.status_code == 200 and retried.json()["status"] == "queued" and retried.json()["attempts"] == 0
    again = client.post(f"/api/v1/deliveries/{deliveries[0].pk}/retry/")
    assert again.status_code == 409 and "only failed ones are retried" in again.content.decode()
