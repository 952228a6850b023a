"""The plot browser: every filter, sort, keyset pages, URL state, bad parameters, constant query count."""

import re

import pytest
from django.urls import reverse

from apps.core.pagination import encode_cursor
from tests import factories

URL = reverse("plot-browser")


def shown(response) -> list[int]:
    return [p.pk for p in response.context["page"].rows]


def get(client, **params):
    response = client.get(URL, {"experiment": "gluex", **params})
    assert response.status_code == 200
    return response


def test_the_browser_without_an_experiment_redirects_to_the_current_one(client, scene):
    response = client.get(URL + "?sort=run")
    assert response.status_code == 302
    assert response.url.startswith(URL + "?") and "experiment=gluex" in response.url and "sort=run" in response.url


def test_the_browser_shows_every_visible_plot_newest_run_first(client, scene):
    response = get(client)
    rows = response.context["page"].rows
    assert scene.plots[("hidden", 1001)].pk not in shown(response)
    assert [p.run_number for p in rows] == sorted((p.run_number for p in rows), reverse=True)
    assert len(rows) == 11
    assert b"CDC_occupancy" in response.content


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"plot_type": "cdc"}, lambda s: {s.plots[("cdc", n)].pk for n in s.runs}),
        ({"group": "tracking"}, lambda s: {s.plots[("cdc", n)].pk for n in s.runs}),
        ({"group": "calo"}, lambda s: {p.pk for k, p in s.plots.items() if k[0].startswith("fcal")}),
        ({"detector": "FCAL"}, lambda s: {p.pk for k, p in s.plots.items() if k[0].startswith("fcal")}),
        ({"campaign": "recon"}, lambda s: {s.plots[("fcal-recon", 1003)].pk}),
        ({"run_min": "1004"}, lambda s: {p.pk for k, p in s.plots.items() if k[1] >= 1004 and k[0] != "hidden"}),
        ({"run_max": "1001"}, lambda s: {s.plots[("cdc", 1001)].pk, s.plots[("fcal", 1001)].pk}),
        ({"run": "1002"}, lambda s: {s.plots[("cdc", 1002)].pk, s.plots[("fcal", 1002)].pk}),
        ({"label": "bad"}, lambda s: {s.plots[("cdc", 1002)].pk}),
        ({"label": "good"}, lambda s: {s.plots[("cdc", 1001)].pk, s.plots[("fcal", 1002)].pk}),
        ({"label": "unlabeled", "plot_type": "cdc"}, lambda s: {s.plots[("cdc", n)].pk for n in (1003, 1004, 1005)}),
        ({"run_period": "late"}, lambda s: {p.pk for k, p in s.plots.items() if k[1] >= 1004 and k[0] != "hidden"}),
    ],
)
def test_each_filter_selects_the_right_plots(client, scene, params, expected):
    ids = {
        "cdc": scene.cdc.pk,
        "tracking": scene.tracking.pk,
        "calo": scene.calo.pk,
        "recon": scene.recon.pk,
        "bad": scene.bad.pk,
        "good": scene.good.pk,
        "late": scene.runs[1005].run_period_id,
    }
    resolved = {k: str(ids.get(v, v)) for k, v in params.items()}
    assert set(shown(get(client, **resolved))) == expected(scene)


@pytest.mark.parametrize(
    "sort, key",
    [
        ("-run", lambda p: (-p.run_number, -p.pk)),
        ("run", lambda p: (p.run_number, p.pk)),
        ("-ingested", lambda p: -p.pk),
        ("ingested", lambda p: p.pk),
        ("plot_type", lambda p: (p.plot_type_id, -p.run_number, -p.pk)),
    ],
)
def test_each_sort_orders_the_page(client, scene, sort, key):
    rows = get(client, sort=sort).context["page"].rows
    assert rows == sorted(rows, key=key)


def test_keyset_pages_walk_forwards_and_back_without_gaps(client, scene):
    everything = shown(get(client, size="24"))
    factories.plots_on_new_runs(scene.cdc, 60)
    everything = shown(get(client, size="240"))
    assert len(everything) == 71
    first = get(client, size="24")
    page = first.context["page"]
    assert page.prev_cursor is None and page.next_cursor
    second = get(client, size="24", after=page.next_cursor)
    third = get(client, size="24", after=second.context["page"].next_cursor)
    assert shown(first) + shown(second) + shown(third) == everything
    assert third.context["page"].next_cursor is None
    back = get(client, size="24", before=third.context["page"].prev_cursor)
    assert shown(back) == shown(second)
    last = get(client, size="24", last="1")
    assert shown(last) == everything[-24:]
    assert last.context["page"].next_cursor is None and last.context["page"].prev_cursor


def test_pagination_links_keep_the_filters(client, scene):
    factories.plots_on_new_runs(scene.cdc, 30)
    response = get(client, plot_type=str(scene.cdc.pk), sort="run", size="24", view="list")
    links = response.context["links"]
    for name in ("next", "last"):
        assert f"plot_type={scene.cdc.pk}" in links[name] and "sort=run" in links[name] and "view=list" in links[name]
    html = response.content.decode()
    assert links["next"].replace("&", "&amp;") in html


def test_the_filter_form_shows_the_state_of_the_url(client, scene):
    response = get(client, plot_type=str(scene.cdc.pk), label="unlabeled", run_min="1002", sort="run", size="120")
    html = response.content.decode()
    assert re.search(rf'<option value="{scene.cdc.pk}" selected>CDC_occupancy', html)
    assert '<option value="unlabeled" selected>' in html
    assert 'name="run_min" value="1002"' in html
    assert '<option value="run" selected>' in html
    assert '<option value="120" selected>' in html


def test_the_list_view_shows_a_table_row_per_plot(client, scene):
    response = get(client, view="list")
    assert response.context["state"].view == "list"
    assert response.content.decode().count('class="row-link"') == 11


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"run_min": "abc"}, "From run"),
        ({"plot_type": "999999"}, "Plot type"),
        ({"label": "purple"}, "Label"),
        ({"sort": "sideways"}, "Sort"),
        ({"size": "7"}, "Page size"),
        ({"view": "mosaic"}, "View"),
        ({"after": "not-a-cursor"}, "page position"),
        ({"before": encode_cursor([1])}, "page position"),
        ({"group": "x"}, "Group"),
    ],
)
def test_a_malformed_parameter_shows_a_message_instead_of_failing(client, scene, params, fragment):
    response = get(client, **params)
    text = " ".join(str(m) for m in response.context["messages"])
    assert "ignored" in text and fragment.lower() in text.lower()
    assert len(shown(response)) == 11


def test_an_unknown_experiment_falls_back_to_the_current_one_with_a_message(client, scene):
    response = client.get(URL, {"experiment": "nope"})
    assert response.status_code == 200
    assert response.context["state"].experiment == scene.exp
    assert "ignored" in " ".join(str(m) for m in response.context["messages"])


def test_new_plots_endpoint_returns_only_the_matching_ones(client, scene):
    cdc_new, fcal_new = scene.plots[("cdc", 1005)], scene.plots[("fcal", 1005)]
    response = client.get(
        reverse("plot-browser-new"),
        {"experiment": "gluex", "plot_type": scene.cdc.pk, "ids": f"{cdc_new.pk},{fcal_new.pk}"},
    )
    assert response.status_code == 200
    data = response.json()
    assert data["ids"] == [cdc_new.pk]
    assert f'data-plot="{cdc_new.pk}"' in data["html"] and "is-new" in data["html"]


def test_new_plots_endpoint_rejects_garbage_ids(client, scene):
    assert client.get(reverse("plot-browser-new"), {"ids": "1,x"}).status_code == 400


def test_a_page_rendered_before_new_plots_is_told_their_matching_cards_on_resync(client, scene):
    page = client.get(reverse("plot-browser"), {"experiment": "gluex", "plot_type": scene.cdc.pk})
    newest = page.context["live"]["newest"]
    cdc_later = factories.plots_on_new_runs(scene.cdc, 2, start=7100)
    factories.plots_on_new_runs(scene.fcal, 1, start=7200)
    response = client.get(
        reverse("plot-browser-new"), {"experiment": "gluex", "plot_type": scene.cdc.pk, "since": newest}
    )
    assert response.status_code == 200
    data = response.json()
    assert sorted(data["ids"]) == sorted(p.pk for p in cdc_later)
    assert all(f'data-plot="{p.pk}"' in data["html"] for p in cdc_later)


def test_new_plots_endpoint_rejects_a_since_that_is_not_an_id(client, scene):
    response = client.get(reverse("plot-browser-new"), {"since": "yesterday"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert "since" in response.json()["errors"]


@pytest.mark.parametrize("view", ["grid", "list"])
def test_the_query_count_does_not_grow_with_the_plots(client, scene, django_assert_max_num_queries, view):
    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            get(client, view=view, size="240")
        return len(ctx.captured_queries)

    count_queries()  # the first visit also stores the chosen experiment in the session
    few = count_queries()
    factories.plots_on_new_runs(scene.fcal, 35, start=7000)
    many = count_queries()
    assert many == few
    with django_assert_max_num_queries(few):
        get(client, view=view, size="240", label="unlabeled", sort="plot_type")
