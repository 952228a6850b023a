"""GET /api/v1/plots/: the plot browser's filters, keyset pages, and a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.pagination import encode_cursor
from apps.plots.models import Plot
from tests import factories
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/plots/"


@pytest.fixture
def plots(experiment):
    """Six plots: two types over three runs; one of them labeled Bad."""
    cdc, fcal = (
        factories.plot_type(experiment, "CDC_occupancy", detector="CDC"),
        factories.plot_type(experiment, "FCAL_occupancy", detector="FCAL"),
    )
    runs = [factories.run(experiment, n) for n in (100, 200, 300)]
    made = [factories.plot(pt, r) for r in runs for pt in (cdc, fcal)]
    factories.label(made[0], factories.label_class(experiment, "Bad"))
    return made


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_a_plot_row_carries_its_slot_label_and_image_urls(api, plots):
    row = next(r for r in api.get(URL).json()["results"] if r["id"] == plots[0].pk)
    assert row["plot_type_name"] == "CDC_occupancy"
    assert row["run"] == 100
    assert row["run_period_name"] == "RunPeriod-2021-08"
    assert row["campaign_name"] == "online"
    assert row["label"] == "Bad"
    assert row["image_url"].startswith("http://testserver/media/plots/")
    assert row["thumbnail_url"].startswith("http://testserver/media/thumbs/")
    assert api.get(row["image_url"]).status_code == 200


def test_plots_come_newest_run_first_by_default(api, plots):
    runs = [r["run"] for r in api.get(URL).json()["results"]]
    assert runs == sorted(runs, reverse=True)


def test_sort_by_run_ascending(api, plots):
    runs = [r["run"] for r in api.get(URL, {"sort": "run"}).json()["results"]]
    assert runs == sorted(runs)


def test_filters_by_run_range_type_detector_and_label(api, plots, experiment):
    cdc = plots[0].plot_type
    assert ids(api.get(URL, {"run_min": 200, "run_max": 300, "plot_type": cdc.pk})) == [plots[4].pk, plots[2].pk]
    assert ids(api.get(URL, {"run": 100, "detector": "FCAL"})) == [plots[1].pk]
    bad = factories.label_class(experiment, "Bad")
    assert ids(api.get(URL, {"label": bad.pk})) == [plots[0].pk]
    assert len(ids(api.get(URL, {"label": "unlabeled"}))) == 5
    assert len(ids(api.get(URL, {"experiment": experiment.slug}))) == 6


def test_a_super_group_selects_every_plot_type_under_it(api, plots, experiment):
    cdc = plots[0].plot_type
    tracking = factories.plot_group(experiment, "Tracking")
    factories.plot_group(experiment, "Drift chambers", types=[cdc], parents=[tracking])
    assert sorted(ids(api.get(URL, {"group": tracking.pk}))) == sorted(p.pk for p in plots if p.plot_type == cdc)


def test_plots_of_ignored_types_are_not_listed_but_readable_by_id(api, plots):
    fcal = plots[1].plot_type
    fcal.ignored = True
    fcal.save()
    assert plots[1].pk not in ids(api.get(URL))
    assert api.get(f"{URL}{plots[1].pk}/").status_code == 200


def test_pages_follow_next_and_previous_links_without_gaps_or_repeats(api, plots):
    first = api.get(URL, {"page_size": 4}).json()
    assert first["previous"] is None and first["next"]
    second = api.get(first["next"]).json()
    assert second["next"] is None
    seen = [r["id"] for r in first["results"] + second["results"]]
    assert sorted(seen) == sorted(p.pk for p in plots) and len(set(seen)) == 6
    back = api.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]


def test_page_size_is_capped_at_500(api, plots):
    assert len(api.get(URL, {"page_size": 100000}).json()["results"]) == 6


@pytest.mark.parametrize(
    "params",
    [
        {"run_min": "abc"},
        {"run": "-1"},
        {"run_max": "1e"},
        {"plot_type": "abc"},
        {"plot_type": "999999"},
        {"plot_type": "99999999999999999999999999"},
        {"label": "99999999999999999999999999"},
        {"label": "²"},
        {"group": "x"},
        {"experiment": "no-such-experiment"},
        {"sort": "sideways"},
        {"page_size": "ten"},
        {"page_size": "0"},
        {"cursor": "garbage!"},
        {"cursor": encode_cursor([1])},
        {"cursor": encode_cursor([2**70, 1])},
        {"cursor": "p." + encode_cursor(["a", "b"])},
    ],
)
def test_malformed_filters_and_cursors_answer_400_in_the_error_shape(api, plots, params):
    response = api.get(URL, params)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert set(error["details"]) == set(params)


def test_an_unknown_plot_is_a_json_404(api, plots):
    for url in (f"{URL}999999/", f"{URL}abc/", f"{URL}{'9' * 30}/"):
        response = api.get(url)
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


def test_the_list_runs_a_constant_number_of_queries_as_rows_grow(api, experiment):
    types = [factories.plot_type(experiment) for _ in range(3)]
    bad = factories.label_class(experiment, "Bad")

    def add(count):
        for _ in range(count):
            plot = factories.plot(types[_ % 3], factories.run(experiment), camp=factories.campaign(experiment, "sim"))
            factories.label(plot, bad)
            Plot.objects.filter(pk=plot.pk).update(verdict_class=bad, verdict_confidence=0.9, verdict_confirmed=True)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(URL, {"experiment": experiment.slug, "page_size": 500})
        assert response.status_code == 200
        rows = response.json()["results"]
        assert {(r["label"], r["verdict"], r["verdict_confidence"], r["verdict_confirmed"]) for r in rows} == {
            ("Bad", "Bad", 0.9, True)
        }
        return len(ctx.captured_queries), len(rows)

    add(3)
    small, rows_small = queries()
    add(30)
    large, rows_large = queries()
    assert (rows_small, rows_large) == (3, 33)
    assert small == large
    assert large <= 4
