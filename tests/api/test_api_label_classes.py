"""/api/v1/label-classes/: per experiment; admins add classes, red is reserved for Bad."""

import pytest

from apps.labels.models import LabelClass
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/label-classes/"


def test_every_experiment_starts_with_good_bad_and_nodata(api, experiment):
    rows = api.get(URL, {"experiment": experiment.slug}).json()["results"]
    assert [r["name"] for r in rows] == ["Good", "Bad", "NoData"]
    assert api.get(URL, {"meaning": "bad"}).json()["results"][0]["colour"] == "#d62828"


def test_an_admin_adds_a_class(admin, as_user, experiment):
    response = as_user(admin).post(
        URL, {"experiment": experiment.slug, "name": "HotChannel", "colour": "#ff9900", "hotkey": "h"}, format="json"
    )
    assert response.status_code == 201, response.content
    added = LabelClass.objects.get(experiment=experiment, name="HotChannel")
    assert (added.colour, added.hotkey) == ("#ff9900", "h")
    listed = as_user(admin).get(URL, {"experiment": experiment.slug}).json()["results"]
    assert "HotChannel" in [row["name"] for row in listed]


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"name": "Cosmic", "colour": "#d62828"}, "colour"),
        ({"name": "Cosmic", "colour": "red"}, "colour"),
        ({"name": "Good"}, "name"),
        ({"name": "Cosmic", "hotkey": "g"}, "hotkey"),
    ],
)
def test_invalid_classes_are_a_400_naming_the_field(admin, as_user, experiment, fields, field):
    response = as_user(admin).post(URL, {"experiment": experiment.slug, **fields}, format="json")
    assert response.status_code == 400
    assert field in error_of(response)["details"]


def test_a_labeler_may_not_add_classes(labeler, as_user, experiment):
    assert as_user(labeler).post(URL, {"experiment": experiment.slug, "name": "X"}, format="json").status_code == 403
    assert not LabelClass.objects.filter(experiment=experiment, name="X").exists()
