"""The validation pages: overview, explore map data, rankings, compare to reference, thresholds."""

import io
import struct

import numpy as np
import pytest
from PIL import Image

from apps.accounts.roles import DETECTOR_EXPERT, VIEWER
from apps.experiments.choices import CampaignKind
from apps.jobs.models import Job
from apps.validation import embedding_maps, explore
from apps.validation.models import ValidationThreshold
from tests import factories
from tests.validation import synthetic

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(experiment):
    reference = factories.campaign(experiment, "recon-ver01", kind=CampaignKind.OFFLINE, is_reference=True)
    online = factories.campaign(experiment, "online")
    pt = factories.plot_type(experiment, synthetic.FCAL)
    plots = []
    for n in range(1, 9):
        run = factories.run(experiment, n)
        factories.plot_from_png(pt, synthetic.png(synthetic.FCAL, n), run, reference)
        failure = "hot_channels" if n == 8 else None
        plots.append(factories.plot_from_png(pt, synthetic.png(synthetic.FCAL, 100 + n, failure), run, online))
    return pt, plots


def test_the_overview_lists_plot_types_and_hides_actions_from_viewers(client, world):
    pt, _ = world
    page = client.get("/validation/")
    assert page.status_code == 200 and pt.name in page.content.decode()
    assert "Compute map" not in page.content.decode()
    client.force_login(factories.user(roles=[DETECTOR_EXPERT]))
    assert "Compute map" in client.get("/validation/").content.decode()


def test_the_explore_page_loads_a_binary_map_payload(client, world):
    pt, plots = world
    space = embedding_maps.compute(pt, "pixels")
    page = client.get(f"/validation/explore/?plot_type={pt.pk}")
    assert page.status_code == 200
    assert f"/validation/maps/{space.pk}/points.bin" in page.content.decode()
    data = client.get(f"/validation/maps/{space.pk}/points.bin").content
    header = explore.read_header(data)
    n = header["n"]
    assert n == header["total"] == 16
    (length,) = struct.unpack("<I", data[4:8])
    ids = np.frombuffer(data, dtype="<u4", count=n, offset=8 + length)
    assert set(ids.tolist()) == set(pt.plots.values_list("id", flat=True))
    assert len(data) == 8 + length + n * (4 + 4 + 4 + 4 + 6 * 2) + ((n + 3) // 4) * 4
    small = explore.read_header(client.get(f"/validation/maps/{space.pk}/points.bin?max_points=1000").content)
    assert small["downsampled"] is False


def test_the_thumbnail_link_redirects_to_the_plot_thumbnail(client, world):
    _, plots = world
    response = client.get(f"/validation/thumb/{plots[0].pk}")
    assert response.status_code == 302 and response["Location"].endswith(plots[0].thumbnail)
    assert client.get("/validation/thumb/999999").status_code == 404


def test_the_most_different_page_ranks_the_broken_plot_first(client, world):
    pt, plots = world
    embedding_maps.compute(pt, "pixels")
    online = plots[0].campaign
    page = client.get(f"/validation/different/?plot_type={pt.pk}&campaign={online.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(f"/validation/compare/{plots[-1].pk}/") < html.index(f"/validation/compare/{plots[0].pk}/")
    assert "No autoencoder yet" in client.get(f"/validation/different/?plot_type={pt.pk}&by=anomaly").content.decode()


def test_compare_to_reference_shows_scores_and_a_difference_map(client, world):
    pt, plots = world
    broken = plots[-1]
    page = client.get(f"/validation/compare/{broken.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and "similarity" in html
    assert page.context["reference"].run_number == broken.run_number  # the reference campaign's plot of the same run
    assert page.context["verdict"] in ("warn", "fail")
    good = client.get(f"/validation/compare/{plots[0].pk}/")
    assert good.context["score"] > page.context["score"]
    diff = client.get(f"/validation/compare/{broken.pk}/difference.png")
    with Image.open(io.BytesIO(diff.content)) as img:
        assert img.size[0] == broken.width
    assert client.get(f"/validation/compare/{broken.pk}/siamese.json").json()["score"] is None


def test_compare_writes_a_dash_for_histogram_distances_it_did_not_measure(client, world):
    import re

    pt, plots = world
    page = client.get(f"/validation/compare/{plots[-1].pk}/")
    assert page.context["distances"]["hist_chi2"] == page.context["distances"]["hist_ks"] == 0
    html = page.content.decode()
    table = html.split('<div class="metrics section">', 1)[1].split("</table>", 1)[0]
    heads = re.findall(r'<th class="num">([^<]+)</th>', table)
    pair, spread = (re.findall(r"<td[^>]*>(.*?)</td>", row) for row in table.split("</tr>")[1:3])
    assert len(heads) == len(pair) == len(spread) and heads[-2:] == ["hist_chi2", "hist_ks"]
    for name, value, scale in zip(heads, pair, spread, strict=True):
        if name.startswith("hist_"):
            assert "—" in value and "0.0000" not in value and scale == "—"
        else:
            assert re.fullmatch(r"\d+\.\d{4}", value), (name, value)


def test_thresholds_are_saved_by_experts_only(client, world):
    pt, _ = world
    client.force_login(factories.user(roles=[VIEWER]))
    client.post(
        f"/validation/thresholds/{pt.pk}",
        {"warn_below": 0.8, "fail_below": 0.6, "siamese_warn_below": 0.5, "siamese_fail_below": 0.2},
    )
    assert not ValidationThreshold.objects.exists()
    expert = factories.user(roles=[DETECTOR_EXPERT])
    client.force_login(expert)
    client.post(
        f"/validation/thresholds/{pt.pk}",
        {"warn_below": 0.8, "fail_below": 0.6, "siamese_warn_below": 0.5, "siamese_fail_below": 0.2},
    )
    saved = ValidationThreshold.objects.get(plot_type=pt)
    assert (saved.warn_below, saved.fail_below, saved.set_by, saved.updated_by) == (0.8, 0.6, "user", expert)
    client.post(
        f"/validation/thresholds/{pt.pk}",
        {"warn_below": 0.3, "fail_below": 0.6, "siamese_warn_below": 0.5, "siamese_fail_below": 0.2},
    )
    saved.refresh_from_db()
    assert saved.warn_below == 0.8  # fail above warn is refused


def test_starting_a_map_queues_one_job_however_often_it_is_asked(client, world):
    pt, _ = world
    client.force_login(factories.user(roles=[DETECTOR_EXPERT]))
    for _ in range(2):
        response = client.post(
            "/validation/maps/compute", {"plot_type": pt.pk, "method": "pixels", "clusters": "kmeans"}
        )
        assert response.status_code == 302
    assert Job.objects.filter(kind="validation.map").count() == 1


def test_the_main_navigation_links_the_validation_pages(client, world):
    html = client.get("/validation/").content.decode()
    assert 'href="/validation/" aria-current="page"' in html
