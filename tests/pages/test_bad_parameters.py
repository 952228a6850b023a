"""Integers too large for the database in a page's query answer a 400 page naming the parameter."""

import pytest
from django.urls import reverse

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("name", "query", "parameter"),
    [
        ("plot-browser", {"plot_type": HUGE}, "plot_type"),
        ("plot-browser", {"campaign": HUGE}, "campaign"),
        ("plot-browser", {"run": HUGE}, "run"),
        ("plot-browser", {"label": HUGE}, "label"),
        ("plot-browser-new", {"ids": f"1,{HUGE}"}, "ids"),
        ("plot-browser-new", {"ids": "1", "plot_type": HUGE}, "plot_type"),
        ("monitoring-log", {"plot_type": HUGE}, "plot_type"),
        ("monitoring-log", {"verdict": HUGE}, "verdict"),
        ("runtime-cards", {"plot_type": HUGE}, "plot_type"),
        ("labeler", {"plot_type": HUGE}, "plot_type"),
        ("labeler", {"ids": HUGE}, "ids"),
    ],
)
def test_a_huge_integer_in_a_page_filter_answers_a_400_page_naming_it(client, scene, name, query, parameter):
    query = {"experiment": scene.exp.slug, **query}
    response = client.get(reverse(name), query)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Hydra" in html and 'class="topbar"' in html
    problems = html[html.index('id="problems"') :]
    assert f"<code>{parameter}</code>" in problems and "is out of range" in problems


def test_a_script_asking_for_json_gets_the_wrong_parameter_as_json(client, scene):
    response = client.get(reverse("runtime-cards"), {"plot_type": HUGE}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"plot_type": [f"{HUGE} is out of range"]}


def test_a_malformed_but_small_filter_is_still_dropped_with_a_message(client, scene):
    response = client.get(reverse("plot-browser"), {"experiment": scene.exp.slug, "plot_type": "abc"})
    assert response.status_code == 200
    assert "was ignored" in response.content.decode()


def test_a_huge_label_class_posted_to_a_plot_is_refused_as_a_bad_choice(client, scene, labeler_user):
    client.force_login(labeler_user)
    plot = scene.plots[("cdc", 1003)]
    response = client.post(
        reverse("plot-page-label", args=[plot.pk]), {"label_class": HUGE}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Choose a label class."
