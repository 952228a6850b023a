"""One JSON error shape under /api/, for bad input, unknown routes and unknown ids; never a 500."""

import pytest

from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    ["/api/nothing-here", "/api/v1/nothing/", "/api/v1/plots/1/nothing/", "/api/v2/plots/", "/api/v1/plots/-1/"],
)
def test_an_unknown_route_under_api_is_a_json_404(api, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "not_found"


def test_a_missing_trailing_slash_gets_a_hint(api):
    response = api.post("/api/v1/labels", {}, format="json")
    assert response.status_code == 404
    assert "/api/v1/labels/" in error_of(response)["message"]


@pytest.mark.parametrize("url", ["/api/v1/experiments/1234/", "/api/v1/plots/77/", "/api/v1/jobs/5/"])
def test_an_unknown_id_is_a_404_in_the_error_shape(api, url):
    response = api.get(url)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_wrong_method_is_a_405_in_the_error_shape(admin, as_user):
    response = as_user(admin).put("/api/v1/jobs/", {}, format="json")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_validation_errors_name_the_field_in_message_and_details(admin, as_user):
    response = as_user(admin).post("/api/v1/experiments/", {"description": "no name"}, format="json")
    error = error_of(response)
    assert error["code"] == "invalid"
    assert error["message"] == "name: This field is required."
    assert error["details"] == {"name": ["This field is required."]}


def test_an_unexpected_error_is_still_json(api, monkeypatch):
    from apps.experiments.api import views

    def boom(self):
        raise RuntimeError("bug")

    monkeypatch.setattr(views.ExperimentViewSet, "get_queryset", boom)
    response = api.get("/api/v1/experiments/")
    assert response.status_code == 500
    assert error_of(response)["code"] == "server_error"
