"""API tokens: created once with the key shown, stored as a hash, revoked, last use recorded."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken, hash_key
from tests import factories
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/tokens/"


def with_key(key: str, scheme: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
    return client


def test_creating_a_token_shows_the_key_once_and_stores_only_its_hash(viewer, as_user):
    response = as_user(viewer, "session").post(URL, {"name": "CI uploads"}, format="json")
    assert response.status_code == 201
    body = response.json()
    key = body["key"]
    token = ApiToken.objects.get(pk=body["id"])
    assert token.key_hash == hash_key(key) and key not in (token.key_hash, token.prefix)
    assert key.startswith(token.prefix) and body["prefix"] == token.prefix
    listed = as_user(viewer, "session").get(URL).json()["results"]
    assert [row["name"] for row in listed] == ["CI uploads"] and "key" not in listed[0]


def test_a_new_key_works_with_token_and_bearer_headers(viewer, as_user):
    key = as_user(viewer, "session").post(URL, {"name": "script"}, format="json").json()["key"]
    for scheme in ("Token", "Bearer", "token"):
        assert with_key(key, scheme).get(URL).status_code == 200


def test_a_revoked_token_stops_working_at_once(viewer):
    token, key = factories.api_token(viewer)
    other, other_key = factories.api_token(viewer, "laptop")
    client = with_key(key)
    assert client.delete(f"{URL}{token.pk}/").status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    response = client.get(URL)
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"
    # Only that token: the owner's other one still authenticates, as the owner.
    still = with_key(other_key).get(URL)
    assert still.status_code == 200
    revoked = {row["id"]: row["revoked_at"] is not None for row in still.json()["results"]}
    assert revoked == {token.pk: True, other.pk: False}


def test_a_user_sees_and_revokes_only_their_own_tokens(viewer, labeler):
    theirs, _ = factories.api_token(labeler)
    _, key = factories.api_token(viewer)
    client = with_key(key)
    assert [row["id"] for row in client.get(URL).json()["results"]] != [theirs.pk]
    assert client.delete(f"{URL}{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_last_used_is_recorded_at_most_once_a_minute(viewer):
    token, key = factories.api_token(viewer)
    client = with_key(key)
    client.get(URL)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(URL)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get(URL)
    token.refresh_from_db()
    assert token.last_used_at > first


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token not-a-key", "Bearer ", "Token h\u00e9"])
def test_a_bad_authorization_header_is_a_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/experiments/")
    assert response.status_code == 401
    error_of(response)


def test_the_token_of_an_inactive_user_is_refused(viewer):
    _, key = factories.api_token(viewer)
    viewer.is_active = False
    viewer.save()
    response = with_key(key).get(URL)
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


def test_anonymous_users_have_no_tokens_even_with_open_access(api, settings):
    settings.OPEN_ACCESS = True
    assert api.get(URL).status_code == 401
    assert api.post(URL, {"name": "x"}, format="json").status_code == 401
    assert not ApiToken.objects.exists()


def test_a_token_needs_a_name(viewer, as_user):
    response = as_user(viewer).post(URL, {"name": ""}, format="json")
    assert response.status_code == 400
    assert "name" in error_of(response)["details"]


def test_the_admin_adds_a_token_and_shows_its_key_once(admin, client):
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    response = client.post("/admin/accounts/apitoken/add/", {"user": admin.pk, "name": "feeder"}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get(name="feeder")
    [message] = [str(m) for m in get_messages(response.wsgi_request) if "copy it now" in str(m)]
    key = message.split(" is ")[1].split(" ")[0]
    assert hash_key(key) == token.key_hash
    assert with_key(key).get(URL).status_code == 200


def test_the_admin_revokes_tokens_in_bulk(admin, viewer, client):
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    tokens = [factories.api_token(viewer, f"t{i}")[0] for i in range(2)]
    response = client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [t.pk for t in tokens]}, follow=True
    )
    assert response.status_code == 200
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
