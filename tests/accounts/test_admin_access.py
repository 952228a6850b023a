"""Who may open /admin/, and the one login throttle that covers the admin login too."""

import pytest
from django.urls import reverse

from apps.accounts import throttle
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-password-1"


def admin_login(client, username, password):
    return client.post(reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"})


def portal_login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_the_admin_login_locks_after_as_many_failures_as_the_portal_login(client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    factories.user("staffer", password=PASSWORD, is_staff=True)
    for _ in range(3):
        assert admin_login(client, "staffer", "wrong").status_code == 200
    response = admin_login(client, "staffer", PASSWORD)
    assert response.status_code == 200
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_at_the_admin_login_count_toward_the_portal_login(client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    factories.user("both", password=PASSWORD)
    admin_login(client, "both", "wrong")
    admin_login(client, "both", "wrong")
    portal_login(client, "both", "wrong")
    response = portal_login(client, "both", PASSWORD)
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_throttled_authenticate_counts_failures_and_then_refuses_even_the_right_password(rf, settings):
    settings.LOGIN_MAX_FAILURES = 2
    user = factories.user("scripted", password=PASSWORD)
    request = rf.post("/api/v1/auth/token/")
    assert throttle.authenticate(request, "scripted", PASSWORD) == user
    assert throttle.authenticate(request, "scripted", "wrong") is None
    assert throttle.authenticate(request, "scripted", "wrong") is None
    with pytest.raises(throttle.LockedOut, match="Too many failed logins"):
        throttle.authenticate(request, "scripted", PASSWORD)


def test_a_successful_login_starts_the_failure_count_again(client, settings):
    settings.LOGIN_MAX_FAILURES = 2
    factories.user("forgetful", password=PASSWORD)
    portal_login(client, "forgetful", "wrong")
    assert portal_login(client, "forgetful", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    portal_login(client, "forgetful", "wrong")
    assert portal_login(client, "forgetful", PASSWORD).status_code == 302


def test_an_admin_role_given_on_the_people_page_opens_the_admin_and_taking_it_closes_it(client):
    from django.test import Client

    root = factories.user("root", is_superuser=True, is_staff=True)
    boss = factories.user("boss")
    people = Client()
    people.force_login(root)
    people.post(reverse("person", args=[boss.pk]), {"action": "roles", "roles": ["Admin"]})
    boss.refresh_from_db()
    assert not boss.is_staff
    client.force_login(boss)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "Hydra portal administration" in index.content.decode()
    users = client.get(reverse("admin:auth_user_changelist"))
    assert users.status_code == 200 and "boss" in users.content.decode()
    assert reverse("admin:index") in client.get(reverse("home")).content.decode()  # the top bar links it

    people.post(reverse("person", args=[boss.pk]), {"action": "roles", "roles": ["Viewer"]})
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_an_admin_role_holder_logs_in_at_the_admin_login_and_other_roles_do_not(client):
    factories.user("boss", password=PASSWORD, roles=["Admin"])
    factories.user("expert", password=PASSWORD, roles=["Detector expert"])
    assert admin_login(client, "boss", PASSWORD).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    client.post(reverse("logout"))
    refused = admin_login(client, "expert", PASSWORD)
    assert refused.status_code == 200
    assert "for a staff account" in refused.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302
