"""POST /api/v1/plots/: one image into its slot, idempotent, and nothing stored when refused."""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.experiments.models import Campaign, Run
from apps.plots.models import Plot, PlotType
from tests import factories
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/plots/"


def stored_files(media_root) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), media_root) for d, _, fs in os.walk(media_root) for f in fs)


def form(exp, data: bytes, name: str = "CDC_occupancy.png", **fields) -> dict:
    values = {
        "image": SimpleUploadedFile(name, data, content_type="image/png"),
        "experiment": exp.slug,
        "plot_type": "CDC_occupancy",
        "run": 80464,
        "run_period": "RunPeriod-2021-08",
        "campaign": "online",
        "chunk": 0,
    }
    values.update(fields)
    return values


@pytest.fixture
def uploader(expert, as_user):
    return as_user(expert)


def test_a_new_image_answers_201_with_its_id_and_urls(uploader, experiment, make_png, media_root):
    response = uploader.post(URL, form(experiment, make_png(seed=1), chunk=7), format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    plot = Plot.objects.get(pk=body["id"])
    assert (plot.plot_type.name, plot.run_number, plot.chunk, plot.campaign.name) == (
        "CDC_occupancy",
        80464,
        7,
        "online",
    )
    assert plot.run_period.name == "RunPeriod-2021-08"
    assert body["image_url"] == f"http://testserver/media/{plot.image}"
    assert body["thumbnail_url"] == f"http://testserver/media/{plot.thumbnail}"
    assert response["Location"].endswith(f"/api/v1/plots/{plot.pk}/")
    assert (media_root / plot.image).exists() and (media_root / plot.thumbnail).exists()
    assert uploader.get(body["thumbnail_url"]).status_code == 200


@pytest.mark.parametrize("existing_run", [False, True])
def test_the_201_body_is_the_plot_as_read_back(uploader, experiment, make_png, existing_run):
    """The answer to an upload is built without reading the plot back; it must say what a GET says."""
    if existing_run:
        factories.run(experiment, 80464, period="RunPeriod-2021-08")
    response = uploader.post(URL, form(experiment, make_png(seed=11), chunk=3), format="multipart")
    assert response.status_code == 201, response.content
    read_back = uploader.get(f"{URL}{response.json()['id']}/")
    assert response.json() == read_back.json()
    assert response.json()["run_period_name"] == "RunPeriod-2021-08"


def test_uploading_the_same_bytes_again_answers_200_with_the_same_plot(uploader, experiment, make_png):
    data = make_png(seed=2)
    first = uploader.post(URL, form(experiment, data), format="multipart")
    again = uploader.post(URL, form(experiment, data), format="multipart")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Plot.objects.count() == 1


def test_a_different_image_for_a_filled_slot_is_a_409_and_changes_nothing(uploader, experiment, make_png, media_root):
    uploader.post(URL, form(experiment, make_png(seed=3)), format="multipart")
    before = stored_files(media_root)
    response = uploader.post(URL, form(experiment, make_png(seed=4)), format="multipart")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "slot_taken" and error["details"]["sha256"] == Plot.objects.get().sha256
    assert Plot.objects.count() == 1 and stored_files(media_root) == before


def test_a_file_that_is_not_an_image_is_a_415_and_stores_nothing(uploader, experiment, media_root):
    response = uploader.post(URL, form(experiment, b"hello, world\n", name="notes.txt"), format="multipart")
    assert response.status_code == 415
    assert error_of(response)["code"] == "not_an_image"
    assert not Plot.objects.exists() and not PlotType.objects.exists() and not Run.objects.exists()
    assert stored_files(media_root) == []


def test_a_truncated_png_is_a_415_and_stores_nothing(uploader, experiment, make_png, media_root):
    data = make_png(200, 150, seed=5)
    response = uploader.post(URL, form(experiment, data[: len(data) // 2]), format="multipart")
    assert response.status_code == 415
    assert "corrupt or truncated" in error_of(response)["message"]
    assert not Plot.objects.exists() and stored_files(media_root) == []


def test_a_file_over_the_size_limit_is_a_413_and_stores_nothing(uploader, experiment, make_png, settings, media_root):
    data = make_png(64, 48, seed=6)
    settings.MAX_IMAGE_BYTES = len(data) - 1
    response = uploader.post(URL, form(experiment, data), format="multipart")
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    assert not Plot.objects.exists() and stored_files(media_root) == []


def test_an_oversized_request_is_refused_from_its_content_length_alone(uploader, experiment, settings):
    settings.MAX_IMAGE_BYTES = 1000
    body = io.BytesIO(b"x" * 10)
    response = uploader.generic(
        "POST", URL, body.getvalue(), content_type="multipart/form-data; boundary=x", CONTENT_LENGTH="10000000"
    )
    assert response.status_code == 413
    assert error_of(response)["details"] == {"content_length": 10_000_000, "limit": 1000 + 64 * 1024}


def test_an_unknown_plot_type_is_a_400_when_creation_is_turned_off(uploader, experiment, make_png, media_root):
    response = uploader.post(URL, form(experiment, make_png(seed=7), create="false"), format="multipart")
    assert response.status_code == 400
    assert error_of(response)["code"] == "unknown_plot_type"
    assert not Plot.objects.exists() and not PlotType.objects.exists() and stored_files(media_root) == []


def test_an_unknown_run_is_a_400_when_creation_is_turned_off(uploader, experiment, make_png):
    factories.plot_type(experiment, "CDC_occupancy")
    factories.campaign(experiment, "online")
    response = uploader.post(URL, form(experiment, make_png(seed=8), create="false"), format="multipart")
    assert response.status_code == 400
    assert error_of(response)["code"] == "unknown_run"
    assert not Run.objects.exists()


def test_known_plot_type_run_and_campaign_are_reused(uploader, experiment, make_png):
    pt = factories.plot_type(experiment, "CDC_occupancy")
    run = factories.run(experiment, 80464, period="RunPeriod-2019-01")
    factories.campaign(experiment, "online")
    response = uploader.post(URL, form(experiment, make_png(seed=9), create="false"), format="multipart")
    assert response.status_code == 201, response.content
    plot = Plot.objects.get()
    assert (plot.plot_type, plot.run) == (pt, run)
    assert plot.run_period.name == "RunPeriod-2019-01"
    assert Campaign.objects.filter(experiment=experiment).count() == 1


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"run": "abc"}, "run"),
        ({"run": "-1"}, "run"),
        ({"run": str(2**40)}, "run"),
        ({"chunk": "x"}, "chunk"),
        ({"experiment": "no-such-experiment"}, "experiment"),
        ({"plot_type": ""}, "plot_type"),
        ({"plot_type": "x" * 201}, "plot_type"),
    ],
)
def test_bad_form_fields_are_a_400_naming_the_field(uploader, experiment, make_png, fields, field):
    response = uploader.post(URL, form(experiment, make_png(seed=10), **fields), format="multipart")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid" and field in error["details"]
    assert not Plot.objects.exists()


def test_an_upload_without_an_image_is_a_400(uploader, experiment, make_png):
    values = form(experiment, make_png())
    del values["image"]
    response = uploader.post(URL, values, format="multipart")
    assert response.status_code == 400
    assert "image" in error_of(response)["details"]


def test_a_json_body_is_a_415(uploader, experiment):
    response = uploader.post(URL, {"experiment": experiment.slug}, format="json")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_a_new_plot_fires_the_ingest_event_and_signal(uploader, experiment, make_png, monkeypatch):
    from apps.plots.signals import plots_ingested

    sent, published = [], []
    plots_ingested.connect(lambda sender, plots, **kw: sent.extend(plots), weak=False, dispatch_uid="test-upload")
    monkeypatch.setattr(
        "apps.plots.ingest.publish_on_commit", lambda topic, kind, payload: published.append((topic, kind, payload))
    )
    try:
        response = uploader.post(URL, form(experiment, make_png(seed=11)), format="multipart")
    finally:
        plots_ingested.disconnect(dispatch_uid="test-upload")
    assert response.status_code == 201
    assert [p.pk for p in sent] == [response.json()["id"]]
    assert published[0][:2] == ("plots", "plots.created")


def test_new_plots_take_the_training_weight_sent_and_duplicates_keep_theirs(uploader, experiment, make_png):
    data = make_png(seed=21)
    first = uploader.post(URL, form(experiment, data, training_weight=0), format="multipart")
    assert first.status_code == 201 and first.json()["training_weight"] == 0
    again = uploader.post(URL, form(experiment, data, training_weight=3), format="multipart")
    assert again.status_code == 200 and again.json()["training_weight"] == 0
    assert Plot.objects.get().training_weight == 0
    bad = uploader.post(URL, form(experiment, make_png(seed=22), chunk=1, training_weight=-1), format="multipart")
    assert bad.status_code == 400 and "training_weight" in error_of(bad)["details"]
    assert Plot.objects.count() == 1
