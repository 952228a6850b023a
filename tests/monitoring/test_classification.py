"""New plots are classified by their plot type's active model, stored, and pushed on the websocket."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from apps.jobs.models import Job
from apps.monitoring.classify import classify
from apps.monitoring.models import Classification
from apps.plots.ingest import Ingestor, Source
from apps.plots.layout import PlotRef
from apps.plots.models import Plot
from tests import factories
from tests.monitoring.conftest import wait_for_jobs


def ingest(exp, plot_type_name, run=80464, seed=1):
    ref = PlotRef(plot_type=plot_type_name, run=run, run_period="RunPeriod-2021-08", chunk=0, campaign="online")
    source = Source(name=f"{plot_type_name}_{run}.png", ref=ref, data=factories.png_bytes(48, 36, seed))
    with Ingestor(exp, workers=1) as ingestor:
        return ingestor.ingest([source])


@pytest.mark.django_db(transaction=True)
def test_a_plot_ingested_with_an_active_model_gets_a_classification_and_a_websocket_event(worker):
    from hydra_portal.asgi import application

    exp = factories.experiment("GlueX")
    cdc = factories.plot_type(exp, "CDC_occupancy", expert_contact="cdc@example.org")
    model = factories.classifier_model(cdc, activate=True)

    async def scenario():
        socket = WebsocketCommunicator(
            application, "/ws/events/?topics=verdicts", headers=[(b"origin", b"http://testserver")]
        )
        connected, _ = await socket.connect()
        assert connected
        assert (await socket.receive_json_from())["type"] == "hello"
        await sync_to_async(ingest)(exp, "CDC_occupancy")
        await sync_to_async(wait_for_jobs)("classify")
        event = await socket.receive_json_from(timeout=10)
        await socket.disconnect()
        return event

    event = async_to_sync(scenario)()
    plot = Plot.objects.get(plot_type=cdc)
    row = Classification.objects.get(plot=plot)
    assert row.model == model and row.verdict_class.name in ("Bad", "Good")
    assert set(row.scores) == {"Bad", "Good"} and abs(sum(row.scores.values()) - 1) < 1e-3
    assert row.confirmed == (row.confidence >= 0.5)
    assert row.gradcam and (factories_media(row.gradcam)).exists()
    assert (plot.verdict_class_id, plot.verdict_confirmed) == (row.verdict_class_id, row.confirmed)
    assert event["type"] == "verdicts.new"
    payload = event["payload"]
    assert payload["plot"] == plot.pk and payload["plot_type"] == cdc.pk and payload["run"] == 80464
    assert payload["verdict"] == row.verdict_class.name and payload["colour"] == row.verdict_class.colour
    assert payload["confirmed"] == row.confirmed and payload["thumbnail"] == plot.thumbnail_url
    job = Job.objects.get(kind="classify")
    assert job.status == Job.Status.DONE and job.result["classified"] == 1


def factories_media(relpath):
    from pathlib import Path

    from django.conf import settings

    return Path(settings.MEDIA_ROOT) / relpath


@pytest.mark.django_db
def test_plots_of_a_type_without_an_active_model_are_not_queued(django_capture_on_commit_callbacks):
    exp = factories.experiment()
    factories.plot_type(exp, "FCAL_occupancy")
    with django_capture_on_commit_callbacks():
        ingest(exp, "FCAL_occupancy")
    assert not Job.objects.filter(kind="classify").exists()
    assert Plot.objects.get().verdict_class is None


@pytest.mark.django_db
def test_every_inference_is_kept_and_the_plot_shows_the_newest():
    exp = factories.experiment()
    pt = factories.plot_type(exp)
    old = factories.classifier_model(pt)
    new = factories.classifier_model(pt, activate=True, thresholds={"Bad": {"value": 1.0}, "Good": {"value": 1.0}})
    plot = factories.plot(pt)
    classify([plot.pk], model_id=old.pk, gradcam=False)
    counts = classify([plot.pk], gradcam=False)
    assert counts["classified"] == 1 and counts["unconfirmed"] == 1
    rows = list(Classification.objects.filter(plot=plot).order_by("id"))
    assert [r.model_id for r in rows] == [old.pk, new.pk]
    plot.refresh_from_db()
    assert plot.verdict_confirmed is False and plot.classified_at is not None
    assert plot.verdict_class_id == rows[-1].verdict_class_id


@pytest.mark.django_db
def test_the_model_is_loaded_once_per_worker_and_again_when_its_file_changes():
    import os

    from apps.monitoring.classify import get_classifier

    exp = factories.experiment()
    model = factories.classifier_model(factories.plot_type(exp))
    first = get_classifier(model)
    assert get_classifier(model) is first
    path = model.local_path()
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 10))
    assert get_classifier(model) is not first
