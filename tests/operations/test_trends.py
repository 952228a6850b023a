"""Trends through the API and the page, on stored verdicts, labels and activations."""

import json

import pytest

from apps.monitoring.models import Activation, ClassifierModel
from tests import factories
from tests.operations.conftest import BAD_THRESHOLD

pytestmark = pytest.mark.django_db


def series(client, path, **params):
    response = client.get(path, params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_a_plot_types_trend_has_one_point_per_plot_with_its_bad_confidence_verdict_and_label(client, followed):
    data = series(client, f"/api/v1/trends/plot-types/{followed.plot_type.pk}/")
    points = data["points"]
    assert data["columns"] == ["x", "bad", "verdict", "confirmed", "label", "plot", "run", "model"]
    assert points["x"] == points["run"] == [100, 101, 102, 103, 104, 105]
    assert points["bad"] == [0.05, 0.1, 0.2, 0.95, 0.7, 0.15]
    names = [data["classes"][i][1] for i in points["verdict"]]
    assert names == ["Good", "Good", "Good", "Bad", "Bad", "Good"]
    assert points["confirmed"] == [1, 1, 1, 1, 0, 1]
    assert points["plot"] == [followed.plots[r].pk for r in range(100, 106)]
    labels = [data["classes"][i][1] if i >= 0 else None for i in points["label"]]
    assert labels == [None, "Good", None, None, None, None]
    assert data["count"] == 6 and not data["truncated"]
    assert data["plot_url"].replace("{id}", str(followed.plots[103].pk)) == f"/plots/{followed.plots[103].pk}/"


def test_the_trend_carries_the_models_thresholds_over_its_runs_and_the_activation(client, followed):
    data = series(client, f"/api/v1/trends/plot-types/{followed.plot_type.pk}/")
    [model] = data["models"]
    assert model[0] == followed.model.pk and model[1] == followed.model.name
    assert dict(model[2]) == {"Bad": BAD_THRESHOLD, "Good": 0.6}
    assert model[3:] == [100, 105]  # the runs it classified
    [activation] = data["activations"]
    assert activation[0] == 100 and activation[1] == followed.model.pk and activation[4] == "first model"


def test_each_plot_counts_once_with_its_newest_verdict(client, followed):
    newer = ClassifierModel.objects.create(
        plot_type=followed.plot_type, version=2, status="ready", label_map=["Bad", "Good"], thresholds={}
    )
    Activation.objects.create(plot_type=followed.plot_type, model=newer, previous=followed.model)
    row = factories.classification(followed.plots[102], newer, verdict="Bad", confidence=0.99)
    row.scores = {"Bad": 0.99, "Good": 0.01}
    row.save(update_fields=["scores"])
    data = series(client, f"/api/v1/trends/plot-types/{followed.plot_type.pk}/")
    assert data["points"]["run"].count(102) == 1
    at = data["points"]["run"].index(102)
    assert data["points"]["bad"][at] == 0.99
    assert data["models"][data["points"]["model"][at]][0] == newer.pk
    # The second activation sits at the first run the new model classified after it.
    assert [a[0] for a in data["activations"]] == [100, 102]


def test_run_range_and_a_condition_expression_choose_the_runs(client, followed):
    url = f"/api/v1/trends/plot-types/{followed.plot_type.pk}/"
    assert series(client, url, run_min=102, run_max=104)["points"]["run"] == [102, 103, 104]
    chosen = series(client, url, condition="beam_current >= 80")
    assert chosen["points"]["run"] == [103, 104, 105]


def test_a_numeric_run_condition_or_the_run_start_can_be_the_x_axis(client, followed):
    url = f"/api/v1/trends/plot-types/{followed.plot_type.pk}/"
    by_current = series(client, url, x="cond:beam_current")
    assert by_current["points"]["x"] == [50, 60, 70, 80, 90, 100]
    assert by_current["x_label"] == "Run condition beam_current"
    by_time = series(client, url, x="time")
    assert by_time["points"]["x"] == [int(followed.started[r].timestamp()) for r in range(100, 106)]
    # A run without a start time is placed when its plot was classified.
    run = followed.plots[105].run
    run.started_at = None
    run.save()
    classified = followed.plots[105].classifications.get().created_at
    assert series(client, url, x="time")["points"]["x"][-1] == int(classified.timestamp())
    # A condition some runs lack leaves those runs out, and says how many.
    followed.plots[100].run.conditions = {}
    followed.plots[100].run.save()
    assert series(client, url, x="cond:beam_current")["dropped"] == 1


def test_a_groups_trend_is_the_bad_fraction_per_run(client, followed):
    data = series(client, f"/api/v1/trends/groups/{followed.group.pk}/")
    points = data["points"]
    assert points["run"] == [100, 101, 102, 103, 104, 105]
    assert points["total"] == [2] * 6
    assert points["bad"] == [0, 0, 0, 2, 2, 1]
    assert points["fraction"] == [0.0, 0.0, 0.0, 1.0, 1.0, 0.5]
    assert data["plot_types"] == 2
    assert f"group={followed.group.pk}" in data["run_url"] and "{run}" in data["run_url"]


def test_bad_trend_parameters_answer_400_with_the_reason(client, followed):
    url = f"/api/v1/trends/plot-types/{followed.plot_type.pk}/"
    for params, field, words in [
        ({"x": "sideways"}, "x", "run, time or cond"),
        ({"run_min": "-3"}, "run_min", "whole number"),
        ({"run_min": "9", "run_max": "2"}, "run_min", "above run_max"),
        ({"condition": "beam_current >"}, "condition", "Bad condition"),
    ]:
        response = client.get(url, params)
        assert response.status_code == 400, params
        body = json.dumps(response.json())
        assert field in body and words in body, body
    page = client.get(f"/trends/type/{followed.plot_type.pk}/", {"condition": "beam_current >"})
    assert page.status_code == 400 and b"Bad condition" in page.content
    assert client.get("/api/v1/trends/plot-types/999999/").status_code == 404


def test_the_trends_page_draws_the_api_series_with_its_script(client, followed):
    page = client.get(f"/trends/type/{followed.plot_type.pk}/", {"run_min": 101, "x_condition": "beam_current"})
    html = page.content.decode()
    assert page.status_code == 200
    url = f"/api/v1/trends/plot-types/{followed.plot_type.pk}/?x=cond%3Abeam_current&amp;run_min=101"
    assert f'data-series-url="{url}"' in html
    assert "js/trends.js" in html and "<canvas" in html and "CDC_occupancy" in html
    # The same series the page will fetch.
    data = series(client, url.replace("&amp;", "&"))
    assert data["points"]["run"] == [101, 102, 103, 104, 105]
    group_page = client.get(f"/trends/group/{followed.group.pk}/").content.decode()
    assert f'data-series-url="/api/v1/trends/groups/{followed.group.pk}/?"' in group_page
    index = client.get("/trends/").content.decode()
    assert f'value="/trends/type/{followed.plot_type.pk}/"' in index and "Drift chambers" in index


def test_closed_reading_keeps_trends_from_anonymous_visitors(client, followed, settings):
    settings.OPEN_ACCESS = False
    assert client.get(f"/trends/type/{followed.plot_type.pk}/").status_code == 302
    assert client.get(f"/api/v1/trends/plot-types/{followed.plot_type.pk}/").status_code in (401, 403)
