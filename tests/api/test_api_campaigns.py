"""/api/v1/campaigns/: read-only, filtered by experiment, kind and reference flag."""

import pytest

from tests import factories
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/campaigns/"


def test_campaigns_filter_by_kind_and_reference(api, experiment):
    factories.campaign(experiment, "online")
    factories.campaign(experiment, "sim-2024", kind="simulation", is_reference=True)
    [row] = api.get(URL, {"kind": "simulation"}).json()["results"]
    assert (row["name"], row["is_reference"]) == ("sim-2024", True)
    assert [r["name"] for r in api.get(URL, {"is_reference": "false"}).json()["results"]] == ["online"]


def test_an_unknown_kind_is_a_400(api, experiment):
    assert "kind" in error_of(api.get(URL, {"kind": "imaginary"}))["details"]
