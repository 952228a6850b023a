"""Conditions on the pages: the plot browser and the labeler filter by them (kept in the URL, a bad
expression dropped with the parser's message), and verdicts on special runs are shown muted."""

import json
import re

import pytest
from django.urls import reverse

from apps.experiments.production import plot_is_production, production_runs, run_is_production, special_runs
from tests import factories

pytestmark = pytest.mark.django_db

CONDITIONS = {
    1001: {"beam_current": 150, "run_type": "production", "is_production": True},
    1002: {"beam_current": 40, "run_type": "production", "is_production": True},
    1003: {"beam_current": 0, "run_type": "cosmic", "is_production": False},
    1004: {"beam_current": 180, "run_type": "production", "is_production": True},
    # 1005: none at all
}


@pytest.fixture
def scene(db):
    scene = factories.browse_scene()
    for number, conditions in CONDITIONS.items():
        run = scene.runs[number]
        run.conditions = conditions
        run.save()
    return scene


def browse(client, **params):
    response = client.get(reverse("plot-browser"), {"experiment": "gluex", **params})
    assert response.status_code == 200
    return response


def runs_shown(response) -> list[int]:
    return [p.run_number for p in response.context["page"].rows]


def test_the_browser_filters_by_conditions_and_keeps_them_in_the_url(client, scene):
    response = browse(client, conditions='beam_current > 100 and run_type == "production"', plot_type=scene.cdc.pk)
    assert runs_shown(response) == [1004, 1001]
    html = response.content.decode()
    assert 'name="conditions" value="beam_current &gt; 100 and run_type == &quot;production&quot;"' in html
    # Paging and view links carry the expression on.
    assert "conditions=beam_current+%3E+100+and+run_type+%3D%3D+%22production%22" in html
    both = browse(client, conditions="not @is_production")
    assert sorted(set(runs_shown(both))) == [1003, 1005]
    assert runs_shown(browse(client, conditions="beam_current > 1000")) == []


def test_a_bad_expression_in_the_browser_is_dropped_with_the_reason(client, scene):
    response = browse(client, conditions="beam_current >> 5")
    assert sorted(set(runs_shown(response))) == [1001, 1002, 1003, 1004, 1005]
    html = response.content.decode()
    assert "Run conditions “beam_current &gt;&gt; 5” was ignored: Bad condition at character 15" in html


def test_the_labeler_filters_by_conditions(client, scene, labeler_user):
    client.force_login(labeler_user)
    url = reverse("labeler")
    response = client.get(url, {"plot_type": scene.cdc.pk, "mode": "editor", "conditions": "@is_production"})
    assert response.status_code == 200
    assert [p.run_number for p in response.context["page"].rows] == [1004, 1002, 1001]
    html = response.content.decode()
    assert 'name="conditions"' in html and 'value="@is_production"' in html
    assert " where @is_production" in html
    # novel mode: unlabeled only (1001 and 1002 are labeled); the count after applying keeps the conditions
    novel = client.get(url, {"plot_type": scene.cdc.pk, "conditions": "beam_current >= 40"})
    assert [p.run_number for p in novel.context["page"].rows] == [1004]
    answer = client.post(
        reverse("labeler-apply"),
        json.dumps(
            {
                "plot_type": scene.cdc.pk,
                "labels": {str(scene.plots[("cdc", 1004)].pk): scene.good.pk},
                "conditions": "beam_current >= 40",
            }
        ),
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer.json()["remaining"] == 0
    bad = client.get(url, {"plot_type": scene.cdc.pk, "conditions": "beam_current ="})
    assert "Run conditions “beam_current =” were ignored" in bad.content.decode()
    assert len(bad.context["page"].rows) == 2  # 1003 and 1005 are still unlabeled, no condition applied


@pytest.fixture
def production(scene):
    scene.exp.production_conditions = "@is_production and beam_current > 100"
    scene.exp.save()
    return scene


def test_production_helpers(production):
    exp, runs = production.exp, production.runs
    assert [run_is_production(runs[n]) for n in (1001, 1002, 1003, 1004, 1005)] == [True, False, False, True, False]
    assert plot_is_production(production.plots[("cdc", 1001)]) is True
    assert sorted(production_runs(exp).values_list("number", flat=True)) == [1001, 1004]
    assert sorted(special_runs(exp).values_list("number", flat=True)) == [1002, 1003, 1005]
    simulated = factories.run(exp, 0)
    assert run_is_production(simulated) and simulated not in special_runs(exp)
    exp.production_conditions = ""
    assert run_is_production(runs[1003], exp)


def test_the_admin_refuses_a_bad_production_expression(production):
    from django.core.exceptions import ValidationError

    exp = production.exp
    exp.production_conditions = "beam_current >"
    with pytest.raises(ValidationError) as info:
        exp.full_clean()
    assert "Bad condition at character 15" in str(info.value.message_dict["production_conditions"])
    exp.production_conditions = "  @is_production  "
    exp.rcdb_conditions = "beam_current,  run_type ,beam_current"
    exp.full_clean()
    assert exp.production_conditions == "@is_production" and exp.rcdb_conditions == "beam_current, run_type"


def test_verdicts_on_special_runs_are_muted_on_the_plot_page(client, production):
    model = factories.classifier_model(production.cdc, activate=True)
    special_plot, production_plot = production.plots[("cdc", 1002)], production.plots[("cdc", 1004)]
    factories.classification(special_plot, model, "Bad", 0.95)
    factories.classification(production_plot, model, "Bad", 0.95)
    html = client.get(reverse("plot-page", args=[special_plot.pk])).content.decode()
    assert 'class="card is-special" aria-labelledby="verdict-title"' in html and ">special run</span>" in html
    assert "<dt>beam_current</dt><dd>40</dd>" in html
    html = client.get(reverse("plot-page", args=[production_plot.pk])).content.decode()
    assert 'class="card" aria-labelledby="verdict-title"' in html and "special run" not in html


def test_runtime_cards_of_special_runs_are_muted(client, production):
    model = factories.classifier_model(production.cdc, activate=True)
    fmodel = factories.classifier_model(production.fcal, activate=True)
    # The newest CDC plot is on a special run (cosmic), the newest FCAL plot on a production run.
    cdc_plot = factories.plot(production.cdc, production.runs[1003], factories.campaign(production.exp, "offline"))
    factories.classification(cdc_plot, model, "Bad", 0.97)
    fcal_plot = factories.plot(production.fcal, factories.run(production.exp, 1006, conditions=CONDITIONS[1004]))
    factories.classification(fcal_plot, fmodel, "Bad", 0.97)
    html = client.get("/runtime/").content.decode()
    cdc_card = re.search(rf'<article class="([^"]+)" id="rt-{production.cdc.pk}"[^>]*>', html)
    fcal_card = re.search(rf'<article class="([^"]+)" id="rt-{production.fcal.pk}"[^>]*>', html)
    assert cdc_card.group(1) == "rt-card rt-bad rt-special" and 'data-special="true"' in cdc_card.group(0)
    assert fcal_card.group(1) == "rt-card rt-bad" and "data-special" not in fcal_card.group(0)
    assert html.count('class="rt-special-tag"') == 1


def test_the_admin_edits_production_conditions_and_queues_a_sync(client, scene, admin):
    from apps.jobs.models import Job

    client.force_login(admin)
    url = reverse("admin:experiments_experiment_change", args=[scene.exp.pk])
    page = client.get(url).content.decode()
    assert "Run conditions" in page and 'name="production_conditions"' in page
    form = {
        "name": scene.exp.name,
        "slug": scene.exp.slug,
        "description": "",
        "production_conditions": "beam_current > ",
        "rcdb_url": "",
        "rcdb_conditions": "beam_current",
        **{f"{p}-{k}": v for p in ("run_periods", "campaigns") for k, v in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))},
    }
    answer = client.post(url, form)
    assert answer.status_code == 200 and "Bad condition at character" in answer.content.decode()
    scene.exp.refresh_from_db()
    assert scene.exp.production_conditions == ""
    scene.exp.rcdb_conditions = "beam_current"
    scene.exp.save()
    changelist = reverse("admin:experiments_experiment_changelist")
    client.post(changelist, {"action": "sync_conditions", "_selected_action": [scene.exp.pk]})
    job = Job.objects.get(kind="sync_conditions")
    assert job.params["experiment"] == scene.exp.pk
