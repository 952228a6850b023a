"""Webhooks to a real HTTP server on loopback that checks the HMAC signature."""

import hashlib
import hmac
import json

import pytest

from apps.notifications import notify, services
from apps.notifications.models import Delivery, Status

pytestmark = pytest.mark.django_db


def valid(secret: str, posted) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), posted.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(posted.headers.get("x-hydra-signature", ""), expected)


def test_a_signed_json_post_with_a_text_field(http, settings):
    settings.WEBHOOK_SECRET = "s3cret"
    http.on_post = lambda posted: 200 if valid("s3cret", posted) else 401
    (row,) = notify(
        f"webhook:{http.url}/hooks/shift",
        "[Hydra] ALARM: CDC_occupancy",
        "3 Bad runs of 3.",
        payload={"severity": "major", "run": 4242, "alarm": 7},
        source="alarm:7",
    )
    assert services.attempt(row.pk) == "sent"
    (posted,) = http.posts
    document = json.loads(posted.body)
    assert posted.path == "/hooks/shift" and posted.headers["content-type"] == "application/json"
    assert document["text"] == "**[Hydra] ALARM: CDC_occupancy**\n3 Bad runs of 3."
    assert document["payload"] == {"severity": "major", "run": 4242, "alarm": 7}
    assert document["source"] == "alarm:7" and document["delivery"] == row.pk
    assert posted.headers["x-hydra-delivery"] == str(row.pk)


def test_per_target_secrets_take_the_longest_prefix(http, settings):
    settings.WEBHOOK_SECRET = "default"
    settings.WEBHOOK_SECRETS = json.dumps({http.url: "short", f"{http.url}/hooks/experts": "experts"})
    http.on_post = lambda posted: 200 if valid("experts" if "experts" in posted.path else "short", posted) else 401
    rows = notify([f"webhook:{http.url}/hooks/experts", f"webhook:{http.url}/other"], subject="S", text="T")
    assert [services.attempt(r.pk) for r in rows] == ["sent", "sent"]
    assert sorted(p.path for p in http.posts) == ["/hooks/experts", "/other"]


def test_a_wrong_signature_is_refused_and_not_retried(http, settings):
    settings.WEBHOOK_SECRET = "not-the-one"
    http.on_post = lambda posted: 200 if valid("s3cret", posted) else 401
    (row,) = notify(f"webhook:{http.url}/hook", "S", "T")
    assert services.attempt(row.pk) == "failed"
    row.refresh_from_db()
    assert row.status == Status.FAILED and row.attempts == 1 and row.last_error.startswith("HTTP 401")
    assert http.posts == []


def test_a_server_error_is_retried(http, fast):
    http.status = 503
    (row,) = notify(f"webhook:{http.url}/hook", "S", "T")
    assert services.attempt(row.pk) == "retry"
    assert Delivery.objects.get(pk=row.pk).last_error.startswith("OSError: HTTP 503")


def test_bad_secrets_setting_says_what_is_wrong(http, settings):
    settings.WEBHOOK_SECRETS = "{not json"
    (row,) = notify(f"webhook:{http.url}/hook", "S", "T")
    assert services.attempt(row.pk) == "failed"
    assert Delivery.objects.get(pk=row.pk).last_error.startswith("HYDRA_WEBHOOK_SECRETS is not JSON")
