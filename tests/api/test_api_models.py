"""/api/v1/models/: the plot-type filters find shared models too."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_filtering_models_by_plot_type_finds_a_shared_model_that_serves_it(api, experiment):
    cdc = factories.plot_type(experiment, "CDC_occupancy")
    fcal = factories.plot_type(experiment, "FCAL_occupancy")
    bcal = factories.plot_type(experiment, "BCAL_timing")
    shared = factories.classifier_model(cdc)
    shared.plot_types.add(cdc, fcal)
    own = factories.classifier_model(bcal)
    by_id = [row["id"] for row in api.get("/api/v1/models/", {"plot_type": fcal.pk}).json()["results"]]
    by_name = [row["id"] for row in api.get("/api/v1/models/", {"plot_type_name": "FCAL_occupancy"}).json()["results"]]
    assert by_id == by_name == [shared.pk]
    assert [row["id"] for row in api.get("/api/v1/models/", {"plot_type": cdc.pk}).json()["results"]] == [shared.pk]
    assert [row["id"] for row in api.get("/api/v1/models/", {"plot_type": bcal.pk}).json()["results"]] == [own.pk]
