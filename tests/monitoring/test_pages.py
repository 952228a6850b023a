"""Runtime, log and model pages: what they show, who may act, and a query count that does not grow."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.jobs.models import Job
from apps.monitoring.models import Classification
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def wall(roles):
    exp = factories.experiment("GlueX")
    cdc = factories.plot_type(exp, "CDC_occupancy", expert_contact="CDC on-call <cdc@example.org>")
    fcal = factories.plot_type(exp, "FCAL_occupancy")
    bcal = factories.plot_type(exp, "BCAL_timing")
    group = factories.plot_group(exp, "Calorimeters", types=[fcal, bcal])
    model = factories.classifier_model(cdc, activate=True)
    fmodel = factories.classifier_model(fcal, activate=True)
    cdc_plot = factories.plot(cdc)
    factories.classification(cdc_plot, model, "Bad", 0.97, True)
    fcal_plot = factories.plot(fcal)
    factories.classification(fcal_plot, fmodel, "Good", 0.61, False)
    factories.plot(bcal)
    return exp, cdc, fcal, bcal, group, model


def card(html, plot_type):
    match = re.search(rf'<article class="rt-card rt-([\w-]+)" id="rt-{plot_type.pk}"', html)
    return match.group(1) if match else None


def test_the_runtime_page_shows_one_card_per_plot_type_with_bad_ones_on_top(client, wall):
    exp, cdc, fcal, bcal, group, _ = wall
    html = client.get("/runtime/").content.decode()
    assert card(html, cdc) == "bad" and card(html, fcal) == "unconfirmed" and card(html, bcal) == "no-model"
    assert "Bad @ 0.97" in html and "Good @ 0.61" in html and "no model" in html
    bad_section = html[html.index('id="rt-bad"') : html.index('id="rt-rest"')]
    assert f'id="rt-{cdc.pk}"' in bad_section and f'id="rt-{fcal.pk}"' not in bad_section
    assert f'data-groups="{group.pk} "' in html  # the group filter reads this
    assert 'data-live-topics="verdicts,plots,alerts"' in html and "js/runtime.js" in html
    assert "js/alarm-badges.js" in html  # open alarms: a banner and a badge per card, from the alarms API


def test_runtime_cards_come_as_snippets_for_pushed_updates(client, wall):
    _, cdc, _, bcal, _, _ = wall
    body = client.get(f"/runtime/cards?plot_type={cdc.pk}&plot_type={bcal.pk}").json()
    assert set(body["cards"]) == {str(cdc.pk), str(bcal.pk)} and body["bad"] == [cdc.pk]


def test_the_runtime_page_query_count_does_not_grow_with_plot_types_and_verdicts(client, wall):
    exp, *_ = wall

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/runtime/").status_code == 200
        return len(ctx)

    few = count()
    for i in range(5):
        pt = factories.plot_type(exp, f"More_{i}")
        model = factories.classifier_model(pt, activate=True) if i % 2 else None
        for _ in range(2):
            plot = factories.plot(pt)
            if model:
                factories.classification(plot, model, "Bad", 0.9)
    assert count() == few


def test_the_log_lists_bad_and_unconfirmed_verdicts_by_plot_type_with_the_expert(client, wall):
    exp, cdc, fcal, _, _, model = wall
    html = client.get("/monitoring/log/").content.decode()
    assert "CDC_occupancy" in html and "FCAL_occupancy" in html
    assert "CDC on-call &lt;cdc@example.org&gt;" in html
    assert "second opinion" in html
    only_confirmed = client.get("/monitoring/log/?confirmed=true").content.decode()
    assert "CDC_occupancy" in only_confirmed and "FCAL_occupancy</a>" not in only_confirmed


def test_the_log_window_leaves_out_older_verdicts(client, wall):
    Classification.objects.update(created_at=timezone.now() - timedelta(hours=30))
    assert "Nothing needs attention in the last 24 h" in client.get("/monitoring/log/").content.decode()
    assert "CDC_occupancy</a>" in client.get("/monitoring/log/?hours=48").content.decode()


def test_the_log_marks_where_a_bad_streak_starts_and_ends(client, wall):
    _, cdc, _, _, _, model = wall
    Classification.objects.all().delete()
    verdicts = ["Good", "Bad", "Bad", "Good"]
    rows = []
    for i, verdict in enumerate(verdicts):
        rows.append(factories.classification(factories.plot(cdc), model, verdict, 0.95, True))
        Classification.objects.filter(pk=rows[-1].pk).update(created_at=timezone.now() - timedelta(minutes=10 - i))
    html = client.get("/monitoring/log/").content.decode()
    assert html.count('class="streak streak-start"') == 1 and html.count('class="streak streak-end"') == 1
    assert html.count('<tr class="bad') == 2


def test_the_log_query_count_does_not_grow_with_its_rows(client, wall):
    _, cdc, *_ = wall
    model = wall[-1]

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/monitoring/log/").status_code == 200
        return len(ctx)

    few = count()
    for _ in range(8):
        factories.classification(factories.plot(cdc), model, "Bad", 0.99, True)
    assert count() == few


def test_model_pages_render_and_show_the_train_form_to_experts(client, wall, people):
    _, cdc, *_ = wall
    model = wall[-1]
    model.metrics = {
        "tested_on": 40,
        "accuracy": 0.975,
        "bad_recall": 0.9,
        "bad_precision": 1.0,
        "disagreements": [{"plot": cdc.plots.first().pk, "label": "Good", "verdict": "Bad", "confidence": 0.9}],
    }
    model.confusion_matrix = {
        "matrix": [[9, 1], [0, 30]],
        "histograms": [[[0] * 9 + [9], [1] + [0] * 9], [[0] * 10, [0] * 9 + [30]]],
    }
    model.curves = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.6], "accuracy": [0.5, 0.9], "best_epoch": 2}
    model.save()
    assert "CDC_occupancy" in client.get("/models/").content.decode()
    page = client.get(f"/models/{model.pk}/").content.decode()
    assert "tested on 40 plots" in page and "0.975" in page and '<svg width="80"' in page
    assert f"/labeler/?plot_type={cdc.pk}" in page and "Activate" not in page
    assert 'name="threshold-Bad"' not in page  # anonymous: read only
    client.force_login(people["expert"])
    page = client.get(f"/models/{model.pk}/").content.decode()
    assert 'name="threshold-Bad"' in page
    assert client.post(f"/models/{model.pk}/thresholds", {"threshold-Bad": "0.8"}).status_code == 302
    model.refresh_from_db()
    assert model.thresholds["Bad"]["user"] == "expert"
    type_page = client.get(f"/models/type/{cdc.pk}/").content.decode()
    assert "Train a model" in type_page and 'name="architecture"' in type_page and "★" in type_page


def test_the_train_form_queues_a_job_for_experts_only(client, wall, people, django_capture_on_commit_callbacks):
    _, cdc, *_ = wall
    client.force_login(people["labeler"])
    assert client.post(f"/models/type/{cdc.pk}/train", {"architecture": "compact"}).status_code == 403
    assert not Job.objects.filter(kind="train").exists()
    client.force_login(people["expert"])
    factories.label(cdc.plots.first(), factories.label_class(cdc.experiment, "Good"))
    response = client.post(
        f"/models/type/{cdc.pk}/train",
        {
            "architecture": "compact",
            "epochs": 3,
            "optimizer": "sgd",
            "balance": "undersample",
            "patience": 5,
            "scope": "type",  # the default is one shared model; this one serves cdc alone
        },
    )
    assert response.status_code == 302
    new = cdc.classifier_models.order_by("-version").first()
    assert new.status == "queued" and new.hyper_parameters["optimizer"] == "sgd"
    assert new.hyper_parameters["learning_rate"] == 0.01 and new.job.kind == "train"
    assert new.hyper_parameters["references"] is True and new.hyper_parameters["lr_schedule"] == "plateau"
    assert response["Location"] == f"/models/{new.pk}/"
    response = client.post(
        f"/models/type/{cdc.pk}/train",
        {
            **{"architecture": "compact", "epochs": 3, "optimizer": "adam", "balance": "class_weights"},
            **{"lr_schedule": "cosine", "references": "no", "force": "on", "scope": "type"},
        },
    )
    assert response.status_code == 302
    newer = cdc.classifier_models.order_by("-version").first()
    assert newer.hyper_parameters["references"] is False and newer.hyper_parameters["lr_schedule"] == "cosine"


def test_the_evaluate_button_queues_an_evaluation_job_for_experts_only(client, wall, people):
    *_, model = wall
    client.force_login(people["labeler"])
    assert client.post(f"/models/{model.pk}/evaluate").status_code == 403
    assert not Job.objects.filter(kind="evaluate").exists()
    client.force_login(people["expert"])
    response = client.post(f"/models/{model.pk}/evaluate")
    assert response.status_code == 302 and response["Location"] == f"/models/{model.pk}/"
    job = Job.objects.get(kind="evaluate")
    assert job.actor == "evaluate_model" and job.params == {"model_id": model.pk} and job.status == "queued"
    assert job.created_by == people["expert"] and job.title == f"Evaluate {model}"
