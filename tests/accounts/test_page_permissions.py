"""The permission matrix over the pages: who may read, label and edit what."""

import json

import pytest
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.labels.models import Label, LabelingGrant
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    exp = factories.experiment("GlueX")
    cdc = factories.plot_type(exp, "CDC_occupancy")
    fcal = factories.plot_type(exp, "FCAL_occupancy")
    plot = factories.plot(cdc)
    labeler = factories.user("labeler", roles=["Labeler"])
    LabelingGrant.objects.create(user=labeler, plot_type=cdc)
    return {
        "exp": exp,
        "cdc": cdc,
        "fcal": fcal,
        "plot": plot,
        "bad": factories.label_class(exp, "Bad"),
        "users": {
            "viewer": factories.user("viewer", roles=["Viewer"]),
            "labeler": labeler,
            "ungranted": factories.user("ungranted", roles=["Labeler"]),
            "expert": factories.user("expert", roles=["Detector expert"]),
            "admin": factories.user("admin", roles=["Admin"]),
        },
    }


def read_urls(w):
    return [
        reverse("home"),
        reverse("plot-browser") + "?experiment=gluex",
        reverse("plot-page", args=[w["plot"].pk]),
        reverse("plot-type-page", args=[w["cdc"].pk]),
        reverse("group-tree"),
        reverse("labeler") + f"?plot_type={w['cdc'].pk}",
        reverse("plot-image", args=[w["plot"].pk]),
        "/media/" + w["plot"].thumbnail,
    ]


def test_anonymous_visitors_read_every_page_when_access_is_open(client, settings, world):
    settings.OPEN_ACCESS = True
    for url in read_urls(world):
        assert client.get(url).status_code == 200, url


def test_anonymous_visitors_are_sent_to_the_login_when_access_is_closed(client, settings, world):
    settings.OPEN_ACCESS = False
    for url in read_urls(world):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.parametrize("role", ["viewer", "labeler", "ungranted", "expert", "admin"])
def test_every_role_reads_every_page_when_access_is_closed(client, settings, world, role):
    settings.OPEN_ACCESS = False
    client.force_login(world["users"][role])
    for url in read_urls(world):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "role,allowed",
    [("anonymous", False), ("viewer", False), ("ungranted", False), ("labeler", True), ("admin", True)],
)
def test_only_users_granted_the_plot_type_apply_labels_in_the_labeler(client, world, role, allowed):
    if role != "anonymous":
        client.force_login(world["users"][role])
    body = {"plot_type": world["cdc"].pk, "labels": {str(world["plot"].pk): world["bad"].pk}}
    response = client.post(reverse("labeler-apply"), json.dumps(body), content_type="application/json")
    assert (response.status_code == 200) is allowed, response.content
    assert Label.objects.filter(plot=world["plot"]).exists() is allowed


@pytest.mark.parametrize("role,allowed", [("viewer", False), ("labeler", False), ("expert", True), ("admin", True)])
def test_only_experts_and_admins_edit_plot_type_pages_and_edits_are_audited(client, world, role, allowed):
    user = world["users"][role]
    client.force_login(user)
    url = reverse("plot-type-edit", args=[world["cdc"].pk])
    response = client.post(url, {"description": "Good: smooth rings.", "summary": "first text"})
    assert (response.status_code == 302) is allowed
    world["cdc"].refresh_from_db()
    assert (world["cdc"].description == "Good: smooth rings.") is allowed
    audited = AuditEntry.objects.filter(action=AuditEntry.Action.EDIT_PLOT_TYPE_PAGE, actor=user).exists()
    assert audited is allowed
