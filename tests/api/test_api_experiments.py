"""/api/v1/experiments/: everyone who may read lists them; only admins change them."""

import pytest

from apps.experiments.models import Experiment
from tests import factories
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/experiments/"


def test_experiments_are_listed_and_filtered_by_slug(api, experiment):
    factories.experiment("CLAS12")
    assert len(api.get(URL).json()["results"]) == 2
    [row] = api.get(URL, {"slug": "clas12"}).json()["results"]
    assert (row["name"], row["slug"]) == ("CLAS12", "clas12")


def test_an_admin_creates_renames_and_deletes_an_experiment(admin, as_user):
    client = as_user(admin)
    created = client.post(URL, {"name": "ePIC", "description": "EIC detector"}, format="json")
    assert created.status_code == 201 and created.json()["slug"] == "epic"
    pk = created.json()["id"]
    assert client.patch(f"{URL}{pk}/", {"description": "the EIC"}, format="json").json()["description"] == "the EIC"
    assert client.delete(f"{URL}{pk}/").status_code == 204
    assert not Experiment.objects.filter(pk=pk).exists()


@pytest.mark.parametrize("role", ["viewer", "labeler", "expert"])
def test_other_roles_may_not_change_experiments(role, request, as_user, experiment):
    client = as_user(request.getfixturevalue(role))
    response = client.post(URL, {"name": "ePIC"}, format="json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert client.delete(f"{URL}{experiment.pk}/").status_code == 403
    assert Experiment.objects.filter(pk=experiment.pk).exists() and not Experiment.objects.filter(name="ePIC").exists()


def test_a_duplicate_name_or_slug_is_a_400(admin, as_user, experiment):
    client = as_user(admin)
    assert "name" in error_of(client.post(URL, {"name": experiment.name}, format="json"))["details"]
    assert "slug" in error_of(client.post(URL, {"name": "Other", "slug": experiment.slug}, format="json"))["details"]


def test_deleting_an_experiment_that_has_plots_is_a_409(admin, as_user, experiment):
    factories.plot(factories.plot_type(experiment))
    response = as_user(admin).delete(f"{URL}{experiment.pk}/")
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"
    assert Experiment.objects.filter(pk=experiment.pk).exists()


def test_an_experiment_created_through_the_api_starts_with_good_bad_and_nodata(admin, as_user):
    client = as_user(admin)
    created = client.post(URL, {"name": "ePIC"}, format="json").json()
    classes = client.get("/api/v1/label-classes/", {"experiment": created["slug"]}).json()["results"]
    assert [(c["name"], c["meaning"], c["hotkey"]) for c in classes] == [
        ("Good", "good", "g"),
        ("Bad", "bad", "b"),
        ("NoData", "nodata", "n"),
    ]
