"""Model facts on the library and plot-type pages: a shared model counts, and figures are per plot type."""

import pytest
from django.urls import reverse

from apps.monitoring import registry
from tests import factories

pytestmark = pytest.mark.django_db

FIGURES = {
    "tested_on": 50,
    "accuracy": 0.9,
    "bad_recall": 0.8,
    "per_plot_type": {
        "CDC_occupancy": {"tested_on": 30, "accuracy": 0.9667, "bad_recall": 0.95, "bad_precision": 1.0},
        "FCAL_occupancy": {"tested_on": 20, "accuracy": 0.8, "bad_recall": 0.5, "bad_precision": 0.75},
    },
}


@pytest.fixture
def shared(roles):
    """A model trained for CDC and shared with FCAL, active for both."""
    exp = factories.experiment("GlueX")
    cdc = factories.plot_type(exp, "CDC_occupancy")
    fcal = factories.plot_type(exp, "FCAL_occupancy")
    model = factories.classifier_model(cdc, metrics=FIGURES)
    model.plot_types.add(cdc, fcal)
    registry.activate(model, check=False)
    return exp, cdc, fcal, model


def library_row(html, plot_type):
    start = html.index(f'href="/models/type/{plot_type.pk}/">{plot_type.name}</a>')
    return html[start : html.index("</tr>", start)]


def test_the_library_counts_a_shared_model_for_every_plot_type_it_serves(client, shared):
    exp, cdc, fcal, _ = shared
    failed = factories.classifier_model(fcal)
    failed.status = "failed"
    failed.save()
    html = client.get(reverse("model-library"), {"experiment": exp.slug}).content.decode()
    assert "1 ready / 1" in library_row(html, cdc)
    assert "★" in library_row(html, fcal) and "1 ready / 2" in library_row(html, fcal)


def test_the_library_shows_each_plot_type_its_own_figures_of_a_shared_model(client, shared):
    exp, cdc, fcal, _ = shared
    html = client.get(reverse("model-library"), {"experiment": exp.slug}).content.decode()
    assert "0.967" in library_row(html, cdc) and ">30<" in library_row(html, cdc).replace(" ", "")
    fcal_row = library_row(html, fcal)
    assert "0.800" in fcal_row and "0.500" in fcal_row and "0.967" not in fcal_row
    assert "of CDC_occupancy" in fcal_row


def test_a_shared_model_evaluated_before_per_type_figures_says_they_are_for_all_types(client, shared):
    exp, cdc, fcal, model = shared
    model.metrics = {k: v for k, v in FIGURES.items() if k != "per_plot_type"}
    model.save()
    html = client.get(reverse("model-library"), {"experiment": exp.slug}).content.decode()
    assert "0.900" in library_row(html, fcal) and "all types" in library_row(html, fcal)


def test_the_plot_type_page_names_the_active_model_shared_or_not(client, shared):
    exp, cdc, fcal, model = shared
    html = client.get(reverse("plot-type-page", args=[fcal.pk])).content.decode()
    facts = html[html.index('id="active-model"') :]
    facts = facts[: facts.index("</dd>")]
    assert f'href="/models/{model.pk}/">{model.name}</a>' in facts
    assert "shared, trained for CDC_occupancy" in facts and "accuracy 0.800" in facts and "none yet" not in facts
    alone = factories.plot_type(exp, "BCAL_timing")
    html = client.get(reverse("plot-type-page", args=[alone.pk])).content.decode()
    assert "none yet" in html[html.index('id="active-model"') :]


def test_the_library_shows_the_progress_of_a_model_in_training(client, shared):
    from apps.jobs.models import Job
    from apps.monitoring.models import ClassifierModel

    exp, cdc, _, _ = shared
    job = Job.objects.create(kind="train", title="Train CDC", status="running", progress=0.4, message="epoch 4/10")
    ClassifierModel.objects.create(plot_type=cdc, version=9, status="training", job=job)
    html = client.get(reverse("model-library"), {"experiment": exp.slug}).content.decode()
    section = html[html.index("training-now") :]
    assert f'data-job="{job.pk}"' in section and "epoch 4/10" in section and 'aria-valuenow="40"' in section
