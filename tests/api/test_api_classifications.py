"""POST /api/v1/classifications/: classify plots already stored, by ids or by plot filters."""

import pytest

from apps.jobs.models import Job
from apps.monitoring.models import Classification
from apps.monitoring.tasks import classify_plots
from tests import factories
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/classifications/"


@pytest.fixture
def stored(experiment):
    """Two CDC plots whose type has an active model, and one FCAL plot whose type has none."""
    factories.grant_monitoring_roles()
    cdc = factories.plot_type(experiment, "CDC_occupancy")
    fcal = factories.plot_type(experiment, "FCAL_occupancy")
    model = factories.classifier_model(cdc, activate=True)
    plots = [factories.plot(cdc, factories.run(experiment, n)) for n in (10, 11)]
    plots.append(factories.plot(fcal, factories.run(experiment, 12)))
    return model, plots


def test_plots_given_by_id_are_queued_for_their_active_model_and_classified(expert, as_user, stored):
    model, plots = stored
    response = as_user(expert).post(URL, {"plots": [p.pk for p in plots]}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["plots"], body["skipped"]) == (2, 1)
    job = Job.objects.get(pk=body["job"]["id"])
    assert (job.kind, job.status, job.title) == ("classify", "queued", "Classify 3 stored plots")
    assert sorted(job.params["plot_ids"]) == sorted(p.pk for p in plots[:2])
    classify_plots.fn(job.pk, job.params["plot_ids"])  # what the worker runs
    assert sorted(Classification.objects.values_list("plot_id", "model_id")) == [(p.pk, model.pk) for p in plots[:2]]


def test_plots_chosen_by_filters_are_queued(expert, as_user, stored, experiment):
    _, plots = stored
    filters = {"experiment": experiment.slug, "run_min": 11, "plot_type": [plots[1].plot_type_id]}
    response = as_user(expert).post(URL, {"filters": filters}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["plots"] == 1
    assert Job.objects.get(pk=response.json()["job"]["id"]).params["plot_ids"] == [plots[1].pk]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "send either plots (ids) or filters, not both and not neither"),
        ({"filters": {"colour": "red"}}, "filters: unknown filter: colour"),
        ({"plots": [999999]}, "plots: no plot with id 999999"),
    ],
)
def test_a_request_without_a_clear_choice_of_plots_is_a_400(expert, as_user, stored, payload, message):
    response = as_user(expert).post(URL, payload, format="json")
    assert response.status_code == 400
    assert error_of(response)["message"] == message
    assert not Job.objects.exists()


def test_plots_without_an_active_model_are_a_400_naming_why(expert, as_user, stored):
    response = as_user(expert).post(URL, {"plots": [stored[1][2].pk]}, format="json")
    assert response.status_code == 400
    assert "none of the 1 matching plots has a plot type with an active model" in error_of(response)["message"]
    assert not Job.objects.exists()


def test_a_viewer_may_not_queue_classification(viewer, as_user, stored):
    response = as_user(viewer).post(URL, {"plots": [stored[1][0].pk]}, format="json")
    assert response.status_code == 403 and "monitoring.add_classifiermodel" in error_of(response)["message"]
