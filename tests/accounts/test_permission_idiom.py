"""The one permission idiom (apps.core.permissions): pages refuse the same way everywhere, the API's
"reads open, writes need X" classes follow open access for reads."""

from urllib.parse import quote

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def pt():
    return factories.plot_type(factories.experiment("GlueX"), "CDC_occupancy")


def test_anonymous_goes_to_login_with_next(client, settings, pt):
    settings.OPEN_ACCESS = False
    url = reverse("plot-type-edit", args=[pt.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={quote(url)}"


def test_anonymous_form_post_comes_back_to_the_page_it_was_on(client, pt):
    page = f"http://testserver{reverse('plot-type-page', args=[pt.pk])}"
    response = client.post(reverse("plot-type-ask", args=[pt.pk]), {"text": "Why?"}, HTTP_REFERER=page)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={quote(page, safe='/')}"
    elsewhere = client.post(
        reverse("plot-type-ask", args=[pt.pk]), {"text": "Why?"}, HTTP_REFERER="https://evil.example/"
    )
    assert elsewhere["Location"] == f"{reverse('login')}?next={quote(reverse('plot-type-ask', args=[pt.pk]))}"


def test_logged_in_without_the_role_sees_the_403_page_naming_it(client, pt):
    client.force_login(factories.user("viewer", roles=["Viewer"]))
    response = client.get(reverse("plot-type-edit", args=[pt.pk]))
    assert response.status_code == 403
    assert "Only detector experts and admins edit plot-type descriptions." in response.content.decode()
    assert "Error 403" in response.content.decode()
    people = client.get(reverse("people"))
    assert people.status_code == 403 and "Only admins manage people." in people.content.decode()


def test_json_callers_get_json_401_and_403(client, pt):
    url = reverse("plot-type-edit", args=[pt.pk])
    anonymous = client.get(url, HTTP_ACCEPT="application/json")
    assert anonymous.status_code == 401 and anonymous.json()["message"] == "Log in to do this."
    client.force_login(factories.user("viewer", roles=["Viewer"]))
    refused = client.get(url, HTTP_ACCEPT="application/json")
    assert refused.status_code == 403
    assert refused.json()["message"] == "Only detector experts and admins edit plot-type descriptions."


def test_the_role_lets_the_page_through(client, pt):
    client.force_login(factories.user("expert", roles=["Detector expert"]))
    assert client.get(reverse("plot-type-edit", args=[pt.pk])).status_code == 200


def test_api_reads_follow_open_access_and_writes_need_the_check(client, settings):
    factories.experiment("GlueX")
    settings.OPEN_ACCESS = True
    assert client.get("/api/v1/experiments/").status_code == 200
    settings.OPEN_ACCESS = False
    assert client.get("/api/v1/experiments/").status_code in (401, 403)
    client.force_login(factories.user("expert", roles=["Detector expert"]))
    assert client.get("/api/v1/experiments/").status_code == 200
    refused = client.post("/api/v1/experiments/", {"name": "CLAS12", "slug": "clas12"}, content_type="application/json")
    assert refused.status_code == 403
    assert "Only admins may change the portal's configuration." in refused.content.decode()
    client.force_login(factories.user("admin", roles=["Admin"]))
    created = client.post("/api/v1/experiments/", {"name": "CLAS12", "slug": "clas12"}, content_type="application/json")
    assert created.status_code == 201, created.content
