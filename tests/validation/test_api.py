"""Maps and thresholds over the API."""

import pytest

from apps.accounts.roles import DETECTOR_EXPERT, VIEWER
from apps.validation import embedding_maps
from apps.validation.models import ValidationThreshold
from tests import factories
from tests.validation import synthetic

pytestmark = pytest.mark.django_db


def test_maps_list_and_give_their_points_as_columns(client, experiment):
    pt = factories.plot_type(experiment, synthetic.FCAL)
    for n in range(6):
        factories.plot_from_png(pt, synthetic.png(synthetic.FCAL, n))
    space = embedding_maps.compute(pt, "pixels")
    listed = client.get(f"/api/v1/validation-maps/?plot_type={pt.pk}").json()["results"]
    assert [m["id"] for m in listed] == [space.pk] and listed[0]["n_points"] == 6
    points = client.get(f"/api/v1/validation-maps/{space.pk}/points/").json()
    assert points["total"] == 6 and len(points["x"]) == len(points["plot"]) == 6
    assert client.get(f"/api/v1/validation-maps/{space.pk}/points/?max_points=3").json()["downsampled"] is True
    assert client.get(f"/api/v1/validation-maps/{space.pk}/points/?max_points=abc").status_code == 400


def test_thresholds_are_read_by_anyone_and_written_by_experts(client, experiment):
    pt = factories.plot_type(experiment, synthetic.FCAL)
    body = {"plot_type": pt.pk, "warn_below": 0.7, "fail_below": 0.4}
    client.force_login(factories.user(roles=[VIEWER]))
    assert client.post("/api/v1/validation-thresholds/", body, content_type="application/json").status_code == 403
    assert not ValidationThreshold.objects.filter(plot_type=pt).exists()
    client.force_login(factories.user(roles=[DETECTOR_EXPERT]))
    created = client.post("/api/v1/validation-thresholds/", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["set_by"] == "user"
    bad = client.patch(
        f"/api/v1/validation-thresholds/{created.json()['id']}/", {"fail_below": 0.9}, content_type="application/json"
    )
    assert bad.status_code == 400
    client.logout()
    assert client.get(f"/api/v1/validation-thresholds/?plot_type={pt.pk}").json()["results"][0]["warn_below"] == 0.7


def test_every_validation_list_takes_the_experiment_by_its_slug_as_the_other_lists_do(client, experiment):
    other = factories.experiment("Other")
    mine = factories.validation_report(
        factories.campaign(experiment, "online"), factories.campaign(experiment, "reference", is_reference=True)
    )
    elsewhere = factories.campaign(other, "online"), factories.campaign(other, "ref", is_reference=True)
    factories.validation_report(*elsewhere)
    pt = factories.plot_type(experiment, synthetic.FCAL)
    client.force_login(factories.user(roles=[DETECTOR_EXPERT]))
    for ptype in (pt, factories.plot_type(other, synthetic.FCAL)):
        body = {"plot_type": ptype.pk, "warn_below": 0.7, "fail_below": 0.4}
        assert client.post("/api/v1/validation-thresholds/", body, content_type="application/json").status_code == 201
    reports = client.get(f"/api/v1/validation-reports/?experiment={experiment.slug}")
    assert reports.status_code == 200 and [r["id"] for r in reports.json()["results"]] == [mine.pk]
    thresholds = client.get(f"/api/v1/validation-thresholds/?experiment={experiment.slug}").json()["results"]
    assert [t["plot_type"] for t in thresholds] == [pt.pk]
    for path in ("validation-reports", "validation-maps", "validation-thresholds"):
        unknown = client.get(f"/api/v1/{path}/?experiment=no-such-experiment")
        error = unknown.json()["error"]
        assert unknown.status_code == 400 and "experiment" in error["details"], unknown.content
    # The id, which these lists took before, is refused with the same message as everywhere else.
    assert client.get(f"/api/v1/validation-reports/?experiment={experiment.pk}").status_code == 400
