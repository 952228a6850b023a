"""Images, thumbnails, heat maps and model files in S3-compatible object storage (HYDRA_STORAGE=s3).

A real S3 server (moto's, on a free loopback port) holds a fresh bucket per test; nothing is
written under MEDIA_ROOT. Ingest, upload, serving, training, loading and classification all go
through Django's storage API to it.
"""

import socket
import urllib.request
import uuid

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer
from rest_framework.test import APIClient

import apps.monitoring.tasks  # noqa: F401  (declare the actors before any worker starts)
from apps.accounts.roles import DETECTOR_EXPERT
from apps.core import files
from apps.jobs.models import Job
from apps.monitoring import services
from apps.monitoring.models import Classification, ClassifierModel
from apps.plots.ingest import Ingestor, Source
from apps.plots.layout import PlotRef
from apps.plots.models import Plot
from ml import model_files
from tests import factories
from tests.ml import tiny

KEYS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path, media_root):
    """A fresh bucket as the default storage; returns a function listing its keys."""
    name = f"hydra-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "addressing_style": "path",
                "signature_version": "s3v4",
                "file_overwrite": True,
                "default_acl": None,
                **KEYS,
            },
        },
    }
    settings.STORAGE_CACHE_DIR = tmp_path / "cache"

    def keys() -> dict[str, bytes]:
        listed = client.list_objects_v2(Bucket=name).get("Contents", [])
        return {o["Key"]: client.get_object(Bucket=name, Key=o["Key"])["Body"].read() for o in listed}

    keys.name = name
    yield keys


def local_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def source(name: str, run: int, data: bytes, chunk: int = 0) -> Source:
    ref = PlotRef(plot_type=name, run=run, run_period="RunPeriod-2021-08", chunk=chunk, campaign="online")
    return Source(name=f"{name}_{run}_{chunk}.png", ref=ref, data=data)


@pytest.mark.django_db
def test_ingested_and_uploaded_plots_are_objects_in_the_bucket_and_nothing_is_written_locally(bucket, media_root):
    exp = factories.experiment("GlueX")
    first, second = factories.png_bytes(64, 48, seed=1), factories.png_bytes(64, 48, seed=2)
    with Ingestor(exp, workers=1) as ingestor:
        report = ingestor.ingest([source("CDC_occupancy", 80464, first), source("CDC_occupancy", 80465, first)])
    assert [o.status for o in report.outcomes] == ["new", "new"]

    expert = factories.user("expert", roles=[DETECTOR_EXPERT])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.api_token(expert)[1]}")
    form = {
        "image": SimpleUploadedFile("FCAL.png", second, content_type="image/png"),
        "experiment": exp.slug,
        "plot_type": "FCAL_occupancy",
        "run": 80464,
        "run_period": "RunPeriod-2021-08",
        "campaign": "online",
        "chunk": 0,
    }
    response = client.post("/api/v1/plots/", form, format="multipart")
    assert response.status_code == 201, response.content

    stored = bucket()
    plots = list(Plot.objects.order_by("id"))
    # Two slots share one image and one thumbnail: content addressing holds in the bucket too.
    assert set(stored) == {p.image for p in plots} | {p.thumbnail for p in plots}
    assert len(stored) == 4
    assert stored[plots[0].image] == first and stored[plots[2].image] == second
    assert stored[plots[0].thumbnail][:4] == b"RIFF"  # a WebP thumbnail
    assert local_files(media_root) == []


@pytest.mark.django_db
def test_the_image_and_thumbnail_are_served_from_the_bucket_or_by_a_signed_redirect(bucket, client, settings):
    exp = factories.experiment("GlueX")
    data = factories.png_bytes(64, 48, seed=3)
    with Ingestor(exp, workers=1) as ingestor:
        ingestor.ingest([source("CDC_occupancy", 80464, data)])
    plot = Plot.objects.get()

    page = client.get(f"/plots/{plot.pk}/image")
    assert page.status_code == 200 and b"".join(page.streaming_content) == data
    assert page["Content-Length"] == str(len(data)) and page["Content-Type"] == "image/png"
    thumb = client.get(f"/media/{plot.thumbnail}")
    assert thumb.status_code == 200 and b"".join(thumb.streaming_content) == bucket()[plot.thumbnail]
    assert thumb["Content-Type"] == "image/webp" and "immutable" in thumb["Cache-Control"]
    head = client.head(f"/media/{plot.image}")
    assert head.status_code == 200 and int(head["Content-Length"]) == len(data)
    missing = client.get("/media/plots/00/00/nothing.png")
    assert missing.status_code == 404
    assert client.get("/media/../secret").status_code == 404

    settings.MEDIA_REDIRECT = True
    redirect = client.get(f"/media/{plot.thumbnail}")
    assert redirect.status_code == 302 and "X-Amz-Signature=" in redirect["Location"]
    with urllib.request.urlopen(redirect["Location"], timeout=10) as answer:
        assert answer.read() == bucket()[plot.thumbnail]
    # A download keeps its name with the run and plot type, so it streams even with redirects on.
    download = client.get(f"/plots/{plot.pk}/image?download=1")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]


@pytest.mark.django_db
def test_the_health_check_writes_a_probe_object_and_reports_a_missing_bucket(bucket, client, settings):
    healthy = client.get("/healthz").json()
    media = healthy["checks"]["media"]
    assert media["status"] == "ok" and bucket.name in media["message"]
    assert bucket() == {}  # the probe is gone again

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": "no-such-bucket"},
        },
    }
    response = client.get("/healthz")
    body = response.json()
    media = body["checks"]["media"]
    assert response.status_code == 503 and media["status"] == "error"
    assert "no-such-bucket" in media["message"] and "not writable" in media["message"]


def wait_for(kind: str, count: int = 1, timeout: float = 180.0) -> list[Job]:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = list(Job.objects.filter(kind=kind).order_by("id"))
        if len(jobs) >= count and all(j.status in (Job.Status.DONE, Job.Status.FAILED) for j in jobs):
            return jobs
        time.sleep(0.05)
    raise AssertionError(f"{kind} jobs did not finish in {timeout} s")


@pytest.mark.django_db(transaction=True)
def test_a_model_is_trained_from_the_bucket_stored_there_loaded_back_and_classifies_with_a_heat_map(
    bucket, worker, tmp_path, settings, client
):
    from apps.monitoring.classify import clear_cache

    factories.restore_roles()
    factories.grant_monitoring_roles()
    exp = factories.experiment("GlueX")
    good, bad = factories.label_class(exp, "Good"), factories.label_class(exp, "Bad")
    # 16 a run: with 4 the tiny model calls everything Good and the activation gate keeps it back.
    examples = tiny.examples(tmp_path / "src", runs=6, per_run=16, test_runs=1)
    with Ingestor(exp, workers=1) as ingestor:
        report = ingestor.ingest(
            [source("TOF_paddles", e.run, open(e.path, "rb").read(), chunk=i) for i, e in enumerate(examples)]
        )
    pt = exp.plot_types.get(name="TOF_paddles")
    for outcome, e in zip(report.outcomes, examples, strict=True):
        Plot.objects.filter(pk=outcome.plot.pk).update(training_weight=e.weight)
        factories.label(Plot.objects.get(pk=outcome.plot.pk), bad if e.label == "Bad" else good)

    from tests.monitoring.test_training_job import HP

    hp = {**HP, "options": {"filters": [4, 8]}}  # 2 epochs at 0.01: a model the activation gate lets through
    request = services.request_training(pt, user=factories.user("expert", roles=[DETECTOR_EXPERT]), hyper_parameters=hp)
    [job] = wait_for("train")
    assert job.status == Job.Status.DONE, job.log
    model = ClassifierModel.objects.get(pk=request.model.pk)
    stored = bucket()
    assert model.path in stored and model.path.replace(".keras", ".json") in stored
    assert not (settings.MEDIA_ROOT / model.path).exists()

    # A worker that never saw the model fetches it (and its sidecar) by content hash, and loads it.
    import shutil

    shutil.rmtree(settings.STORAGE_CACHE_DIR)
    clear_cache()
    path = model.local_path()
    assert path.parent == settings.STORAGE_CACHE_DIR / "models"
    assert path.read_bytes() == stored[model.path]
    loaded, info = model_files.load(path)
    assert info.label_map == ["Bad", "Good"] and info.sha256 == path.stem

    # The model is active: a new plot is classified, its heat map lands in the bucket and is served.
    with Ingestor(exp, workers=1) as ingestor:
        ingestor.ingest([source("TOF_paddles", 2000, open(examples[1].path, "rb").read())])
    wait_for("classify")
    new = Plot.objects.get(run_number=2000)
    row = Classification.objects.get(plot=new)
    assert row.gradcam and row.gradcam in bucket()
    served = client.get(f"/media/{row.gradcam}")
    assert served.status_code == 200 and b"".join(served.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"
    assert files.local_root() is None and local_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_validation_files_written_by_path_are_published_and_fetched_back_with_their_sidecar(bucket, settings):
    import shutil

    from apps.validation import storage

    rel = storage.new_model_file("autoencoders", 7)
    path = storage.absolute(rel)
    path.write_bytes(b"model bytes")
    path.with_suffix(".json").write_text('{"sha256": "x"}')
    storage.publish(rel)
    storage.write_bytes("validation/errormaps/1/2.png", b"png bytes")
    stored = bucket()
    assert stored[rel] == b"model bytes" and stored[rel.replace(".keras", ".json")] == b'{"sha256": "x"}'
    assert stored["validation/errormaps/1/2.png"] == b"png bytes"

    shutil.rmtree(settings.STORAGE_CACHE_DIR)
    again = storage.absolute(rel)
    assert again.read_bytes() == b"model bytes" and again.with_suffix(".json").read_text() == '{"sha256": "x"}'


@pytest.mark.django_db
def test_a_batch_large_enough_for_the_process_pool_is_checked_there_and_uploaded(bucket, media_root):
    exp = factories.experiment("GlueX")
    items = [source("CDC_occupancy", 1000 + i, factories.png_bytes(32, 24, seed=i)) for i in range(30)]
    items.append(source("CDC_occupancy", 2000, b"not an image at all"))
    with Ingestor(exp, workers=2) as ingestor:
        report = ingestor.ingest(items)
    assert [o.status for o in report.outcomes].count("new") == 30
    assert report.outcomes[-1].status == "rejected" and "not an image" in report.outcomes[-1].reason
    stored = bucket()
    assert len(stored) == 60 and {p.image for p in Plot.objects.all()} <= set(stored)
    assert local_files(media_root) == []
