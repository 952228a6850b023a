"""The account page (API tokens) and the admins' people page (roles, grants)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.accounts.models import ApiToken
from apps.audit.models import AuditEntry
from apps.labels.models import LabelingGrant
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_user_creates_a_token_sees_the_key_once_and_it_authenticates_the_api(client):
    user = factories.user("scripter")
    client.force_login(user)
    response = client.post(reverse("account"), {"name": "CI uploads"})
    # The POST answers with a redirect: reloading the page that shows the key issues no second token.
    assert response.status_code == 302 and response.url == reverse("account")
    response = client.get(response.url)
    token = ApiToken.objects.get(user=user)
    key = response.context["new_key"]
    assert key.startswith(token.prefix) and key in response.content.decode()
    again = client.get(reverse("account"))
    assert key not in again.content.decode() and ApiToken.objects.filter(user=user).count() == 1
    api = client.__class__()
    assert api.get("/api/v1/tokens/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_is_refused(client):
    user = factories.user()
    token, key = ApiToken.issue(user, "old")
    other, other_key = ApiToken.issue(user, "new")
    client.force_login(user)
    client.post(reverse("revoke-token", args=[token.pk]))
    token.refresh_from_db()
    assert not token.is_active
    assert client.__class__().get("/api/v1/tokens/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    # The owner's other token still works.
    still = client.__class__().get("/api/v1/tokens/", HTTP_AUTHORIZATION=f"Token {other_key}")
    other.refresh_from_db()
    assert still.status_code == 200 and other.is_active
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN, details__change="revoked").exists()


def test_nobody_can_revoke_someone_elses_token(client):
    token, _ = ApiToken.issue(factories.user(), "theirs")
    client.force_login(factories.user())
    assert client.post(reverse("revoke-token", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.is_active


def test_the_account_page_needs_a_login(client):
    response = client.get(reverse("account"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_only_admins_see_the_people_page(client):
    anonymous = client.get(reverse("people"))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.url
    client.force_login(factories.user("someexpert", roles=["Detector expert"]))
    assert client.get(reverse("people")).status_code == 403
    client.force_login(factories.user(roles=["Admin"]))
    people = client.get(reverse("people"))
    assert people.status_code == 200 and "someexpert" in people.content.decode()


def test_an_admin_sets_roles_and_grants_on_the_people_page_and_it_is_audited(client):
    admin = factories.user("boss", roles=["Admin"])
    exp = factories.experiment()
    group = factories.plot_group(exp, "Calorimeters")
    target = factories.user("newbie")
    client.force_login(admin)
    client.post(reverse("person", args=[target.pk]), {"action": "roles", "roles": ["Labeler", "Viewer"]})
    assert set(target.groups.values_list("name", flat=True)) == {"Labeler", "Viewer"}
    client.post(reverse("person", args=[target.pk]), {"action": "grant", "target": f"group:{group.pk}"})
    grant = LabelingGrant.objects.get(user=target)
    assert grant.plot_group == group
    client.post(reverse("person", args=[target.pk]), {"action": "revoke", "grant": grant.pk})
    assert not LabelingGrant.objects.filter(user=target).exists()
    actions = set(AuditEntry.objects.filter(actor=admin).values_list("action", flat=True))
    assert {AuditEntry.Action.CHANGE_ROLES, AuditEntry.Action.CHANGE_GRANTS} <= actions


def test_an_admin_cannot_remove_their_own_admin_role(client):
    admin = factories.user("boss", roles=["Admin"])
    client.force_login(admin)
    client.post(reverse("person", args=[admin.pk]), {"action": "roles", "roles": ["Viewer"]})
    assert admin.groups.filter(name="Admin").exists()


def test_the_people_page_queries_do_not_grow_with_people(client, django_assert_max_num_queries):
    client.force_login(factories.user(roles=["Admin"]))
    exp = factories.experiment()
    pt = factories.plot_type(exp)
    for _ in range(3):
        LabelingGrant.objects.create(user=factories.user(roles=["Labeler"]), plot_type=pt)
    with django_assert_max_num_queries(15) as small:
        client.get(reverse("people"))
    for _ in range(12):
        LabelingGrant.objects.create(user=factories.user(roles=["Labeler"]), plot_type=pt)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("people"))
    assert Group.objects.get(name="Labeler").user_set.count() == 15


def test_the_people_page_writes_last_seen_as_small_muted_metadata(client):
    from django.utils import timezone

    factories.user("seenbefore", first_name="Ada", last_name="Seen", last_login=timezone.now())
    client.force_login(factories.user(roles=["Admin"]))
    html = client.get(reverse("people")).content.decode()
    assert '<th scope="row">seenbefore<div class="small muted">Ada Seen · last seen ' in html


def test_an_empty_token_name_is_refused_and_issues_nothing(client):
    user = factories.user()
    client.force_login(user)
    response = client.post(reverse("account"), {"name": "  "}, follow=True)
    assert "Give the token a name" in response.content.decode()
    assert response.context["new_key"] is None and not ApiToken.objects.filter(user=user).exists()


def test_an_admin_is_told_they_may_label_everything(client):
    admin = factories.user("chief", roles=["Admin"])
    client.force_login(admin)
    page = client.get(reverse("account")).content.decode()
    assert "you may label every plot type" in page and "No labeling grants yet" not in page
    people = client.get(reverse("people")).content.decode()
    assert people.count("everything (admin)") == 1  # the admin only; other users have no rows yet


def test_a_grant_message_names_what_was_granted(client):
    admin = factories.user("chief", roles=["Admin"])
    someone = factories.user("someone")
    exp = factories.experiment()
    ptype = factories.plot_type(exp, "CDC_occupancy")
    group = factories.plot_group(exp, "Tracking")
    client.force_login(admin)
    for target, text in (
        (f"type:{ptype.pk}", "may now label CDC_occupancy."),
        (f"group:{group.pk}", "may now label every plot type in Tracking."),
    ):
        page = client.post(reverse("person", args=[someone.pk]), {"action": "grant", "target": target}, follow=True)
        assert f"someone {text}" in page.content.decode()
    assert LabelingGrant.objects.filter(user=someone).count() == 2
    page = client.post(
        reverse("person", args=[someone.pk]), {"action": "grant", "target": "type:99999999999999999999"}, follow=True
    )
    assert page.status_code == 200 and "Choose a plot type or a plot group" in page.content.decode()
    assert LabelingGrant.objects.filter(user=someone).count() == 2
