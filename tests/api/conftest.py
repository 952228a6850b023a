"""Fixtures for API tests: an API client, users in each role, and clients signed in by token or session."""

import pytest
from rest_framework.test import APIClient

from apps.accounts.roles import ADMIN, DETECTOR_EXPERT, LABELER, VIEWER
from tests import factories


@pytest.fixture
def api():
    """An anonymous client."""
    return APIClient()


@pytest.fixture
def viewer(db):
    return factories.user("viewer", roles=[VIEWER])


@pytest.fixture
def labeler(db):
    return factories.user("labeler", roles=[LABELER])


@pytest.fixture
def expert(db):
    """A detector expert: may upload plots (plots.add_plot)."""
    return factories.user("expert", roles=[DETECTOR_EXPERT])


@pytest.fixture
def admin(db):
    return factories.user("admin", roles=[ADMIN])


@pytest.fixture
def as_user():
    """A client authenticated as ``user``, by API token (default) or by a real session login."""

    def make(user, how: str = "token") -> APIClient:
        client = APIClient()
        if how == "token":
            _, key = factories.api_token(user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        elif how == "bearer":
            _, key = factories.api_token(user)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        else:
            assert client.login(username=user.username, password="pw-for-tests-1")
        return client

    return make


def error_of(response) -> dict:
    """The error body of a response, after checking it has the API's one error shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}, error
    assert error["status"] == response.status_code
    assert isinstance(error["message"], str) and error["message"]
    return error


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Users are made in most tests here; a fast hasher keeps that cheap."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
