"""/api/v1/runs/: read-only, newest first, filtered by experiment, period and number range."""

import pytest

from tests import factories
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/runs/"


def test_runs_come_newest_first_with_their_period(api, experiment):
    for number in (10, 30, 20):
        factories.run(experiment, number)
    rows = api.get(URL).json()["results"]
    assert [r["number"] for r in rows] == [30, 20, 10]
    assert rows[0]["run_period_name"] == "RunPeriod-2021-08" and rows[0]["experiment"] == experiment.slug


def test_runs_filter_by_number_range_and_period(api, experiment):
    for number in (10, 20, 30):
        factories.run(experiment, number)
    other = factories.run(experiment, 40, period="RunPeriod-2022-01")
    assert [r["number"] for r in api.get(URL, {"number_min": 15, "number_max": 30}).json()["results"]] == [30, 20]
    assert [r["number"] for r in api.get(URL, {"run_period": other.run_period_id}).json()["results"]] == [40]
    assert [r["number"] for r in api.get(URL, {"number": 10, "experiment": experiment.slug}).json()["results"]] == [10]


@pytest.mark.parametrize("params", [{"number_min": "x"}, {"number": "1.5"}, {"number_max": str(2**40)}])
def test_a_malformed_number_is_a_400(api, experiment, params):
    assert set(error_of(api.get(URL, params))["details"]) == set(params)


def test_runs_are_written_only_with_the_upload_permission(viewer, as_user, api, experiment):
    body = {"experiment": experiment.slug, "number": 5, "conditions": {"beam_current": 1}}
    assert error_of(as_user(viewer).post(URL, body, format="json"))["status"] == 403
    assert api.post(URL, body, format="json").status_code in (401, 403)
    assert not experiment.runs.exists()
