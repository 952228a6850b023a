"""The login page: local accounts, throttling of repeated failures."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_a_local_account_logs_in_and_out(client):
    factories.user("local", password="local-password-1")
    assert login(client, "local", "local-password-1").status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_repeated_failed_logins_lock_the_account_for_a_while(client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    factories.user("target", password="the-right-password-1")
    for _ in range(3):
        assert login(client, "target", "wrong").status_code == 200
    response = login(client, "target", "the-right-password-1")
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session
