"""POST /api/v1/auth/token/: a user name and password for a token, through the login throttle."""

import pytest
from django.test import Client

from tests import factories
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"


def test_a_user_name_and_password_get_a_token_that_works(api, viewer):
    response = api.post(URL, {"username": "viewer", "password": "pw-for-tests-1", "name": "laptop"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "laptop" and body["key"].startswith(body["prefix"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {body['key']}")
    [listed] = api.get("/api/v1/tokens/").json()["results"]
    assert (listed["id"], listed["name"]) == (body["id"], "laptop") and "key" not in listed


def test_a_wrong_password_is_a_400_without_a_token(api, viewer):
    response = api.post(URL, {"username": "viewer", "password": "nope"}, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["message"]) == ("invalid_credentials", "wrong user name or password")
    assert not viewer.api_tokens.exists()


def test_repeated_failures_lock_the_name_out_like_the_login_page(api, viewer, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert api.post(URL, {"username": "viewer", "password": "nope"}, format="json").status_code == 400
    response = api.post(URL, {"username": "viewer", "password": "pw-for-tests-1"}, format="json")
    assert response.status_code == 429
    assert error_of(response)["code"] == "locked_out" and "try again" in error_of(response)["message"]
    assert not viewer.api_tokens.exists()
    login = Client().post("/accounts/login/", {"username": "viewer", "password": "pw-for-tests-1"})
    assert login.status_code == 200 and "Too many failed logins" in login.content.decode()


def test_a_token_request_needs_no_csrf_token_even_with_a_session_cookie(viewer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(factories.user("other"))
    response = browser.post(URL, {"username": "viewer", "password": "pw-for-tests-1"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["name"] == "hydra-client"


def test_a_post_missing_its_trailing_slash_is_a_json_404_with_a_hint_not_a_csrf_page(viewer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(viewer)
    response = browser.post("/api/v1/labels", {"plot": 1}, content_type="application/json")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert error_of(response)["message"] == "no API endpoint at /api/v1/labels: add a trailing slash, /api/v1/labels/"
    unknown = browser.post("/api/v1/nothing", {}, content_type="application/json")
    assert error_of(unknown)["message"] == "no API endpoint at /api/v1/nothing"
