"""The labeler: novel and editor modes, run range, pages of 100, batch apply with permission, leaderboard."""

import json

import pytest
from django.urls import reverse

from apps.labels.models import Label
from apps.plots.models import Plot
from tests import factories

URL = reverse("labeler")
APPLY = reverse("labeler-apply")


def get(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


def shown(response):
    return [p.pk for p in response.context["page"].rows]


def post(client, payload):
    return client.post(APPLY, json.dumps(payload), content_type="application/json")


def test_without_a_plot_type_the_labeler_offers_the_plot_types(client, scene, labeler_user):
    client.force_login(labeler_user)
    response = get(client)
    choices = dict(response.context["choices"])
    assert choices == {scene.cdc: True, scene.fcal: False}


def test_novel_mode_shows_unlabeled_plots_newest_first_with_the_remaining_count(client, scene):
    response = get(client, plot_type=scene.cdc.pk)
    assert shown(response) == [scene.plots[("cdc", n)].pk for n in (1005, 1004, 1003)]
    assert response.context["remaining"] == 3
    assert b'<strong id="remaining">3</strong>' in response.content


def test_the_run_range_limits_the_plots_and_the_count(client, scene):
    response = get(client, plot_type=scene.cdc.pk, run_min=1002, run_max=1004)
    assert shown(response) == [scene.plots[("cdc", n)].pk for n in (1004, 1003)]
    assert response.context["remaining"] == 2


def test_novel_mode_pages_by_one_hundred(client, scene):
    factories.plots_on_new_runs(scene.cdc, 103)
    first = get(client, plot_type=scene.cdc.pk)
    assert len(shown(first)) == 100 and first.context["remaining"] == 106
    assert first.context["next_url"]
    second = client.get(URL + first.context["next_url"])
    assert len(shown(second)) == 6
    assert not set(shown(first)) & set(shown(second))


def test_editor_mode_shows_every_plot_and_filters_by_class(client, scene):
    assert len(shown(get(client, plot_type=scene.cdc.pk, mode="editor"))) == 5
    bad = get(client, plot_type=scene.cdc.pk, mode="editor", label=scene.bad.pk)
    assert shown(bad) == [scene.plots[("cdc", 1002)].pk]
    none = get(client, plot_type=scene.cdc.pk, mode="editor", label="unlabeled")
    assert len(shown(none)) == 3


def test_the_palette_lists_the_valid_classes_with_their_hotkeys_beyond_nine(client, scene):
    from apps.labels.models import LabelClass

    for i, key in enumerate("abcdefghijklm"):
        if key in "bgn":
            continue
        LabelClass.objects.create(experiment=scene.exp, name=f"Class{i}", hotkey=key, colour="#123456")
    config = get(client, plot_type=scene.cdc.pk).context["config"]
    assert len(config["classes"]) == 14
    assert {c["hotkey"] for c in config["classes"]} == set("abcdefghijklmn")


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"plot_type": "abc"}, "Plot type"),
        ({"plot_type": "99999"}, "Plot type"),
        ({"mode": "chaos"}, "Mode"),
        ({"run_min": "x1"}, "First run"),
        ({"after": "garbage"}, "page position"),
        ({"mode": "editor", "label": "blue"}, "Class"),
    ],
)
def test_malformed_parameters_show_a_message(client, scene, params, fragment):
    params.setdefault("plot_type", scene.cdc.pk)
    response = get(client, **params)
    text = " ".join(str(m) for m in response.context["messages"])
    assert "ignored" in text and fragment.lower() in text.lower()


def test_apply_saves_the_batch_with_history_in_one_go(client, scene, labeler_user):
    client.force_login(labeler_user)
    a, b, c = (scene.plots[("cdc", n)] for n in (1003, 1004, 1005))
    labeled = scene.plots[("cdc", 1001)]
    response = post(
        client,
        {
            "plot_type": scene.cdc.pk,
            "labels": {
                str(a.pk): scene.bad.pk,
                str(b.pk): scene.bad.pk,
                str(c.pk): scene.good.pk,
                str(labeled.pk): None,
            },
        },
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"saved": 3, "erased": 1, "remaining": 1}
    assert Plot.objects.get(pk=a.pk).label_class == scene.bad
    assert Plot.objects.get(pk=c.pk).label_class == scene.good
    assert Plot.objects.get(pk=labeled.pk).label_class is None
    assert Label.objects.filter(user=labeler_user).count() == 3


def test_a_labeler_without_a_grant_cannot_apply(client, scene, labeler_user):
    client.force_login(labeler_user)
    plot = scene.plots[("fcal", 1003)]
    response = post(client, {"plot_type": scene.fcal.pk, "labels": {str(plot.pk): scene.bad.pk}})
    assert response.status_code == 403
    assert Plot.objects.get(pk=plot.pk).label_class is None


def test_anonymous_visitors_cannot_apply(client, scene):
    plot = scene.plots[("cdc", 1003)]
    response = post(client, {"plot_type": scene.cdc.pk, "labels": {str(plot.pk): scene.bad.pk}})
    assert response.status_code == 401
    assert Plot.objects.get(pk=plot.pk).label_class is None
    assert not Label.objects.filter(plot=plot).exists()


def test_plots_of_another_type_in_the_batch_refuse_the_whole_batch(client, scene, labeler_user):
    client.force_login(labeler_user)
    mine, other = scene.plots[("cdc", 1003)], scene.plots[("fcal", 1003)]
    response = post(client, {"plot_type": scene.cdc.pk, "labels": {str(mine.pk): scene.bad.pk, str(other.pk): 1}})
    assert response.status_code == 400
    assert Plot.objects.get(pk=mine.pk).label_class is None


def test_a_class_of_another_experiment_refuses_the_batch(client, scene, labeler_user):
    client.force_login(labeler_user)
    foreign = factories.label_class(factories.experiment("CLAS12"), "Good")
    mine = scene.plots[("cdc", 1003)]
    response = post(client, {"plot_type": scene.cdc.pk, "labels": {str(mine.pk): foreign.pk}})
    assert response.status_code == 400
    assert Plot.objects.get(pk=mine.pk).label_class is None


@pytest.mark.parametrize("body", ["not json", '{"plot_type": 1}', '{"plot_type": "x", "labels": {}}', "[]"])
def test_a_malformed_batch_is_a_400(client, scene, labeler_user, body):
    client.force_login(labeler_user)
    assert client.post(APPLY, body, content_type="application/json").status_code == 400


def test_the_leaderboard_ranks_labelers_of_the_plot_type(client, scene):
    alice, bob = factories.user("alice"), factories.user("bob")
    for n in (1003, 1004, 1005):
        factories.label(scene.plots[("cdc", n)], scene.good, who=alice)
    factories.label(scene.plots[("cdc", 1003)], scene.bad, who=bob)
    factories.label(scene.plots[("fcal", 1003)], scene.bad, who=bob)
    board = get(client, plot_type=scene.cdc.pk).context["leaderboard"]
    assert [(row["user__username"], row["count"]) for row in board] == [("alice", 3), ("bob", 1)]


def test_the_labeler_query_count_does_not_grow_with_the_plots(client, scene, labeler_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(labeler_user)
    get(client, plot_type=scene.cdc.pk)
    with CaptureQueriesContext(connection) as few:
        get(client, plot_type=scene.cdc.pk)
    factories.plots_on_new_runs(scene.cdc, 35)
    with CaptureQueriesContext(connection) as many:
        get(client, plot_type=scene.cdc.pk)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_selection_of_ids_from_the_explore_map_limits_the_labeler_to_those_plots(client, db):
    exp = factories.experiment("Selexp")
    pt = factories.plot_type(exp, "CDC_sel")
    plots = [factories.plot(pt) for _ in range(5)]
    chosen = [plots[1].pk, plots[3].pk]
    response = client.get(f"/labeler/?plot_type={pt.pk}&mode=editor&ids={chosen[0]},{chosen[1]}")
    assert response.status_code == 200
    shown = {p.pk for p in response.context["page"].rows}
    assert shown == set(chosen)
    bad = client.get(f"/labeler/?plot_type={pt.pk}&mode=editor&ids=1,x")
    assert bad.status_code == 200 and "selection was ignored" in bad.content.decode()
