"""/api/v1/run-periods/: read-only, filtered by experiment and name."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

URL = "/api/v1/run-periods/"


def test_run_periods_filter_by_experiment_and_name(api, experiment):
    factories.run_period(experiment, "RunPeriod-2021-08")
    factories.run_period(experiment, "RunPeriod-2022-01")
    factories.run_period(factories.experiment("Other"), "RunPeriod-2022-01")
    assert len(api.get(URL, {"experiment": experiment.slug}).json()["results"]) == 2
    [row] = api.get(URL, {"experiment": experiment.slug, "name": "RunPeriod-2022-01"}).json()["results"]
    assert row["experiment"] == experiment.slug


def test_a_run_period_is_read_by_id_and_an_unknown_one_is_a_404(api, experiment):
    period = factories.run_period(experiment)
    assert api.get(f"{URL}{period.pk}/").json()["name"] == period.name
    assert api.get(f"{URL}999999/").status_code == 404
