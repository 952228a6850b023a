"""The model registry: activation needs a permission and is logged; retraining skips unchanged data."""

import pytest
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from apps.jobs.models import Job
from apps.monitoring import registry, services, training_data
from apps.monitoring.models import Activation, ActiveModel, ClassifierModel
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def plot_type(roles):
    exp = factories.experiment()
    pt = factories.plot_type(exp, "CDC_occupancy")
    good, bad = factories.label_class(exp, "Good"), factories.label_class(exp, "Bad")
    for i in range(6):
        factories.label(factories.plot(pt), bad if i % 3 == 0 else good)
    return pt


def test_activating_needs_the_permission_and_is_logged_with_the_previous_model(plot_type, people):
    first = factories.classifier_model(plot_type)
    second = factories.classifier_model(plot_type)
    for who in ("viewer", "labeler"):
        with pytest.raises(PermissionDenied):
            registry.activate(first, people[who])
    registry.activate(first, people["expert"], note="first model")
    registry.activate(second, people["admin"])
    assert ActiveModel.objects.get(plot_type=plot_type).model == second
    log = list(Activation.objects.filter(plot_type=plot_type).order_by("id"))
    assert [(a.model, a.previous, a.user.username) for a in log] == [
        (first, None, "expert"),
        (second, first, "admin"),
    ]
    assert log[0].note == "first model" and log[1].created_at >= log[0].created_at


def test_only_ready_models_can_be_activated(plot_type, people):
    from django.core.exceptions import ValidationError

    model = factories.classifier_model(plot_type)
    ClassifierModel.objects.filter(pk=model.pk).update(status=ClassifierModel.Status.FAILED)
    model.refresh_from_db()
    with pytest.raises(ValidationError):
        registry.activate(model, people["expert"])


def test_the_activate_api_action_needs_the_permission(plot_type, people):
    model = factories.classifier_model(plot_type)
    url = f"/api/v1/models/{model.pk}/activate/"
    client = APIClient()
    client.force_authenticate(people["labeler"])
    assert client.post(url, {}, format="json").status_code == 403
    assert not ActiveModel.objects.filter(plot_type=plot_type).exists()
    client.force_authenticate(people["expert"])
    response = client.post(url, {"note": "via API"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["model"] == model.pk and response.json()["user"] == "expert"
    assert APIClient().get(f"/api/v1/models/{model.pk}/").json()["is_active"] is True


def test_the_activate_page_action_needs_the_permission(plot_type, people, client):
    model = factories.classifier_model(plot_type)
    client.force_login(people["viewer"])
    assert client.post(f"/models/{model.pk}/activate").status_code == 403
    assert not ActiveModel.objects.filter(plot_type=plot_type).exists()
    client.force_login(people["expert"])
    assert client.post(f"/models/{model.pk}/activate").status_code == 302
    assert ActiveModel.objects.get(plot_type=plot_type).model == model


def test_retraining_is_skipped_when_the_training_data_is_unchanged(plot_type, people):
    first = services.request_training(plot_type, user=people["expert"], hyper_parameters={"epochs": 2})
    assert not first.skipped and first.model.version == 1 and first.job.kind == "train"
    again = services.request_training(plot_type, user=people["expert"], hyper_parameters={"epochs": 2})
    assert again.skipped and again.unchanged == first.model
    other_settings = services.request_training(plot_type, hyper_parameters={"epochs": 3})
    assert not other_settings.skipped
    plot = plot_type.plots.first()
    factories.label(plot, factories.label_class(plot_type.experiment, "NoData"))
    factories.label(plot_type.plots.last(), factories.label_class(plot_type.experiment, "NoData"))
    relabeled = services.request_training(plot_type, hyper_parameters={"epochs": 2})
    assert not relabeled.skipped and relabeled.model.fingerprint != first.model.fingerprint
    forced = services.request_training(plot_type, hyper_parameters={"epochs": 2}, force=True)
    assert not forced.skipped and forced.model.version == 4
    assert Job.objects.filter(kind="train").count() == 4


def test_training_through_the_api_needs_the_permission_and_reports_a_skip(plot_type, people):
    client = APIClient()
    body = {"plot_type": plot_type.pk, "hyper_parameters": {"epochs": 2}}
    client.force_authenticate(people["labeler"])
    assert client.post("/api/v1/models/train/", body, format="json").status_code == 403
    assert not Job.objects.filter(kind="train").exists()
    client.force_authenticate(people["expert"])
    queued = client.post("/api/v1/models/train/", body, format="json")
    assert queued.status_code == 202 and queued.json()["job"]["kind"] == "train"
    skipped = client.post("/api/v1/models/train/", body, format="json")
    assert skipped.status_code == 200 and skipped.json()["skipped"] is True
    bad = client.post("/api/v1/models/train/", {**body, "hyper_parameters": {"epochz": 1}}, format="json")
    assert bad.status_code == 400


def test_a_user_threshold_records_who_set_it(plot_type, people):
    model = factories.classifier_model(plot_type)
    with pytest.raises(PermissionDenied):
        registry.set_threshold(model, "Bad", 0.8, people["viewer"])
    entry = registry.set_threshold(model, "Bad", 0.8, people["expert"])
    model.refresh_from_db()
    assert model.thresholds["Bad"]["value"] == 0.8 == entry["value"]
    assert model.thresholds["Bad"]["set_by"] == "user" and model.thresholds["Bad"]["user"] == "expert"
    assert model.thresholds["Good"]["set_by"] == "initial"


def test_the_classifications_api_filters_by_verdict_confirmation_and_run(plot_type):
    model = factories.classifier_model(plot_type)
    plots = list(plot_type.plots.order_by("id"))
    factories.classification(plots[0], model, "Bad", 0.97, True)
    factories.classification(plots[1], model, "Good", 0.55, False)
    api = APIClient()
    assert len(api.get("/api/v1/classifications/").json()["results"]) == 2
    bad = api.get("/api/v1/classifications/?verdict_name=Bad").json()["results"]
    assert [r["plot"] for r in bad] == [plots[0].pk] and bad[0]["verdict"] == "Bad"
    unconfirmed = api.get("/api/v1/classifications/?confirmed=false").json()["results"]
    assert [r["plot"] for r in unconfirmed] == [plots[1].pk]
    by_run = api.get(f"/api/v1/classifications/?run={plots[1].run_number}&plot_type={plot_type.pk}").json()
    assert [r["plot"] for r in by_run["results"]] == [plots[1].pk]


def test_a_shared_model_learns_from_several_plot_types_and_is_activated_for_each(plot_type, people):
    other = factories.plot_type(plot_type.experiment, "FCAL_occupancy")
    factories.label(factories.plot(other), factories.label_class(plot_type.experiment, "Bad"))
    request = services.request_training(plot_type, shared_with=[other], hyper_parameters={"epochs": 2})
    assert request.model.covered_type_ids() == sorted([plot_type.pk, other.pk])
    assert request.model.fingerprint == training_data.data_fingerprint([plot_type, other])
    assert request.model.fingerprint != training_data.data_fingerprint(plot_type)
    again = services.request_training(plot_type, shared_with=[other], hyper_parameters={"epochs": 2})
    assert again.skipped
    model = factories.classifier_model(plot_type)
    model.plot_types.add(plot_type, other)
    registry.activate(model, people["expert"])
    assert ActiveModel.objects.get(plot_type=other).model == model
    assert Activation.objects.filter(model=model).count() == 2
