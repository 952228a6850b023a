"""/api/v1/plot-types/: filtered by experiment, detector and group; admins configure them."""

import pytest

from apps.plots.models import PlotType
from tests import factories
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/plot-types/"


def test_plot_types_filter_by_detector_name_and_super_group(api, experiment):
    cdc = factories.plot_type(experiment, "CDC_occupancy", detector="CDC")
    factories.plot_type(experiment, "FCAL_occupancy", detector="FCAL")
    top = factories.plot_group(experiment, "All")
    factories.plot_group(experiment, "Tracking", types=[cdc], parents=[top])
    assert [r["name"] for r in api.get(URL, {"detector": "CDC"}).json()["results"]] == ["CDC_occupancy"]
    assert [r["id"] for r in api.get(URL, {"group": top.pk}).json()["results"]] == [cdc.pk]
    assert len(api.get(URL, {"name_contains": "occupancy", "experiment": experiment.slug}).json()["results"]) == 2


def test_an_admin_creates_a_plot_type_with_its_label_classes(admin, as_user, experiment):
    good, bad = factories.label_class(experiment, "Good"), factories.label_class(experiment, "Bad")
    response = as_user(admin).post(
        URL,
        {"experiment": experiment.slug, "name": "BCAL_timing", "detector": "BCAL", "label_classes": [good.pk, bad.pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert sorted(response.json()["label_classes"]) == sorted([good.pk, bad.pk])


def test_label_classes_of_another_experiment_are_a_400(admin, as_user, experiment):
    foreign = factories.label_class(factories.experiment("Other"), "Good")
    response = as_user(admin).post(
        URL, {"experiment": experiment.slug, "name": "X", "label_classes": [foreign.pk]}, format="json"
    )
    assert "label_classes" in error_of(response)["details"]


def test_an_expert_may_not_configure_plot_types(expert, as_user, experiment):
    pt = factories.plot_type(experiment)
    assert as_user(expert).patch(f"{URL}{pt.pk}/", {"ignored": True}, format="json").status_code == 403
    pt.refresh_from_db()
    assert pt.ignored is False


def test_a_duplicate_name_in_one_experiment_is_a_400(admin, as_user, experiment):
    factories.plot_type(experiment, "CDC_occupancy")
    response = as_user(admin).post(URL, {"experiment": experiment.slug, "name": "CDC_occupancy"}, format="json")
    assert response.status_code == 400
    assert PlotType.objects.filter(experiment=experiment, name="CDC_occupancy").count() == 1
