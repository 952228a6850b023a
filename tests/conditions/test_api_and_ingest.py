"""Conditions through the API (runs written with conditions, conditions= on runs, plots and
classifications) and through ingest (conditions.json beside a run's images)."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.experiments.models import Run, RunCondition
from tests import factories
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/runs/"


@pytest.fixture
def scene(experiment, media_root):
    runs = {
        101: {"beam_current": 150, "run_type": "production", "is_production": True},
        102: {"beam_current": 60, "run_type": "production", "is_production": True},
        103: {"beam_current": 150, "run_type": "cosmic", "is_production": False},
    }
    made = {n: factories.run(experiment, n, conditions=c) for n, c in runs.items()}
    pt = factories.plot_type(experiment, "CDC_occupancy")
    plots = {n: factories.plot(pt, r) for n, r in made.items()}
    return experiment, made, plots


def test_create_and_update_a_run_with_conditions(expert, as_user, experiment):
    client = as_user(expert)
    body = {
        "experiment": experiment.slug,
        "number": 7,
        "run_period_name": "RunPeriod-2025-01",
        "conditions": {"beam_current": 120.5, "run_type": "production", "is_production": True, "gone": None},
    }
    made = client.post(RUNS, body, format="json")
    assert made.status_code == 201, made.json()
    run = Run.objects.get(pk=made.json()["id"])
    assert run.run_period.name == "RunPeriod-2025-01"
    assert run.conditions == {"beam_current": 120.5, "run_type": "production", "is_production": True}
    assert RunCondition.objects.filter(run=run).count() == 3

    patched = client.patch(
        f"{RUNS}{run.pk}/", {"conditions": {"beam_current": 90, "is_production": None}}, format="json"
    )
    assert patched.status_code == 200
    assert patched.json()["conditions"] == {"beam_current": 90, "run_type": "production"}
    assert [r["number"] for r in client.get(RUNS, {"conditions": "beam_current < 100"}).json()["results"]] == [7]
    assert client.get(RUNS, {"conditions": "@is_production"}).json()["results"] == []

    replaced = client.put(
        f"{RUNS}{run.pk}/", {"experiment": experiment.slug, "number": 7, "conditions": {"x": 1}}, format="json"
    )
    assert replaced.status_code == 200 and replaced.json()["conditions"] == {"x": 1}
    assert list(RunCondition.objects.filter(run=run).values_list("name", "number")) == [("x", 1.0)]


@pytest.mark.parametrize(
    "conditions,reason",
    [
        ({"a": [1, 2]}, "list or object"),
        ({"a": {"b": 1}}, "list or object"),
        ({"bad name": 1}, "must start with a letter"),
        ([1, 2], "JSON object"),
        ("beam", "JSON object"),
    ],
)
def test_conditions_must_be_flat_scalars(expert, as_user, experiment, conditions, reason):
    body = {"experiment": experiment.slug, "number": 8, "conditions": conditions}
    error = error_of(as_user(expert).post(RUNS, body, format="json"))
    assert error["status"] == 400 and reason in str(error["details"]["conditions"])
    assert not Run.objects.filter(number=8).exists()


def test_numbers_and_experiments_cannot_change(expert, as_user, scene):
    experiment, made, _ = scene
    client = as_user(expert)
    error = error_of(client.patch(f"{RUNS}{made[101].pk}/", {"number": 999}, format="json"))
    assert "cannot change" in str(error["details"]["number"])
    error = error_of(client.post(RUNS, {"experiment": experiment.slug, "number": 101}, format="json"))
    assert "exists" in str(error["details"]["number"])
    assert Run.objects.get(pk=made[101].pk).number == 101


def test_plots_runs_and_classifications_filter_by_conditions(api, scene):
    experiment, made, plots = scene
    query = 'beam_current > 100 and run_type == "production"'
    assert [r["number"] for r in api.get(RUNS, {"conditions": query}).json()["results"]] == [101]
    got = api.get("/api/v1/plots/", {"conditions": "beam_current > 100", "experiment": experiment.slug}).json()
    assert sorted(p["id"] for p in got["results"]) == sorted([plots[101].pk, plots[103].pk])
    got = api.get("/api/v1/plots/", {"conditions": "not @is_production"}).json()  # no experiment chosen
    assert [p["id"] for p in got["results"]] == [plots[103].pk]
    model = factories.classifier_model(plots[101].plot_type)
    made_cls = {n: factories.classification(plot, model) for n, plot in plots.items()}
    got = api.get("/api/v1/classifications/", {"conditions": "beam_current >= 150"}).json()["results"]
    assert sorted(c["id"] for c in got) == sorted([made_cls[101].pk, made_cls[103].pk])
    got = api.get(
        "/api/v1/classifications/", {"conditions": "run_type in ('production')", "experiment": experiment.slug}
    ).json()["results"]
    assert sorted(c["id"] for c in got) == sorted([made_cls[101].pk, made_cls[102].pk])


@pytest.mark.parametrize("url", [RUNS, "/api/v1/plots/", "/api/v1/classifications/"])
@pytest.mark.parametrize("expression", ["beam_current >", "x = 1", "a == 'open", "__import__('os')"])
def test_a_bad_expression_is_a_400_with_the_parsers_message(api, scene, url, expression):
    error = error_of(api.get(url, {"conditions": expression}))
    assert error["status"] == 400
    assert "Bad condition" in str(error["details"]["conditions"])


def test_ingest_reads_conditions_json_beside_the_images(tmp_path, experiment, media_root):
    root = tmp_path / "tree"
    run_dir = root / "RunPeriod-2021-08" / "Run080464"
    bad_dir = root / "RunPeriod-2021-08" / "Run080465"
    for folder, seed in ((run_dir, 1), (bad_dir, 2)):
        folder.mkdir(parents=True)
        (folder / "CDC_occupancy.png").write_bytes(factories.png_bytes(40, 30, seed))
    (run_dir / "conditions.json").write_text('{"beam_current": 151.5, "run_type": "production", "is_production": true}')
    (bad_dir / "conditions.json").write_text('{"beam_current": [1, 2]}')
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest", str(root), experiment=experiment.name, workers=1, stdout=out, stderr=err)
    run = Run.objects.get(experiment=experiment, number=80464)
    assert run.conditions == {"beam_current": 151.5, "run_type": "production", "is_production": True}
    assert Run.objects.get(experiment=experiment, number=80465).conditions == {}
    assert "RunPeriod-2021-08/Run080465/conditions.json: run conditions not read" in err.getvalue()
    assert "list or object" in err.getvalue()
    assert "1 rejected" in out.getvalue().splitlines()[-1]

    # An edited sidecar is read again by the next ingest; keys it leaves out stay, null removes one.
    (run_dir / "conditions.json").write_text('{"beam_current": 20, "is_production": null, "target": "LH2"}')
    call_command("ingest", str(root), experiment=experiment.name, workers=1, stdout=io.StringIO(), stderr=io.StringIO())
    run.refresh_from_db()
    assert run.conditions == {"beam_current": 20, "run_type": "production", "target": "LH2"}
    assert sorted(RunCondition.objects.filter(run=run).values_list("name", flat=True)) == [
        "beam_current",
        "run_type",
        "target",
    ]
    assert Path(run_dir / "conditions.json").exists()
