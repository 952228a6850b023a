"""No plot without its job: the classification job of new plots commits in the plots' own transaction.

A failure after the plots are inserted but before their transaction ends leaves no row, no file and
no job; a process killed right after that commit (before it could hand the message to the broker)
leaves plots whose job waits in the outbox, and a worker's relay delivers it when one runs.
"""

import io
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from rest_framework.test import APIClient

from apps.accounts.roles import DETECTOR_EXPERT
from apps.jobs.models import Job
from apps.monitoring.models import Classification
from apps.plots.ingest import Ingestor, crawl
from apps.plots.layout import compile_layout
from apps.plots.models import Plot
from apps.plots.signals import plots_ingested
from tests import factories
from tests.job_processes import ROOT, ThrowawayRedis, Workers, database_url, sending_to, wait_for
from tests.monitoring.conftest import wait_for_jobs

pytestmark = pytest.mark.django_db(transaction=True)
PERIOD = "RunPeriod-2021-08"


def classifying_type():
    factories.restore_roles()
    exp = factories.experiment()
    pt = factories.plot_type(exp, "CDC_occupancy")
    model = factories.classifier_model(pt, activate=True)
    return exp, pt, model


def media_files() -> list[str]:
    """Plot images and thumbnails under the media root (the model files there are not plots)."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(
        str(Path(folder, name).relative_to(root))
        for folder, _dirs, files in os.walk(root)
        for name in files
        if not Path(folder, name).relative_to(root).parts[0] == "models"
    )


def write_tree(root: Path, runs) -> Path:
    for run in runs:
        path = root / PERIOD / f"Run{run:06d}" / "CDC_occupancy.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(factories.png_bytes(40, 30, seed=run))
    return root


class FailAfterTheListeners:
    """A receiver connected after the portal's own: it runs once they have queued their jobs, in the
    plots' transaction, notes what it sees there, and fails like a connection lost before the commit."""

    def __init__(self):
        self.seen = []

    def __call__(self, sender, plots, **kwargs):
        self.seen.append(
            {
                "plots": Plot.objects.filter(pk__in=[p.pk for p in plots]).count(),
                "jobs": list(Job.objects.filter(kind="classify").values_list("params", flat=True)),
            }
        )
        raise OperationalError(2013, "Lost connection to server during query")

    def __enter__(self):
        plots_ingested.connect(self, weak=False, dispatch_uid="test-fail-after-listeners")
        return self

    def __exit__(self, *exc):
        plots_ingested.disconnect(dispatch_uid="test-fail-after-listeners")


def assert_classified_once(model):
    """The job committed with the plots runs (in-process worker, or a worker thread on the CI broker)."""
    [job] = wait_for_jobs("classify")
    assert job.status == Job.Status.DONE, job.log
    plots = sorted(Plot.objects.values_list("pk", flat=True))
    assert sorted(Classification.objects.filter(model=model).values_list("plot_id", flat=True)) == plots


def assert_nothing_stored():
    assert Plot.objects.count() == 0
    assert Job.objects.count() == 0
    assert media_files() == []


@pytest.mark.usefixtures("worker")
def test_ingest_that_fails_before_its_transaction_ends_leaves_no_plot_no_file_and_no_job(tmp_path):
    exp, pt, model = classifying_type()
    tree = write_tree(tmp_path / "in", [81000, 81001, 81002])
    with FailAfterTheListeners() as failure, Ingestor(exp, workers=1) as ingestor:
        with pytest.raises(OperationalError):
            ingestor.ingest(crawl(str(tree), compile_layout(None)))
    # Inside the transaction the plots and the job queued for them were there together ...
    assert len(failure.seen) == 1
    assert failure.seen[0]["plots"] == 3
    assert [len(params["plot_ids"]) for params in failure.seen[0]["jobs"]] == [3]
    # ... and both went with its rollback, files included.
    assert_nothing_stored()

    with Ingestor(exp, workers=1) as ingestor:
        report = ingestor.ingest(crawl(str(tree), compile_layout(None)))
    assert report.count("new") == 3
    job = Job.objects.get(kind="classify")
    assert sorted(job.params["plot_ids"]) == sorted(Plot.objects.values_list("pk", flat=True))
    assert len(media_files()) == 6  # image and thumbnail of each
    assert_classified_once(model)


@pytest.fixture
def uploader():
    factories.restore_roles()
    client = APIClient()
    _, key = factories.api_token(factories.user("uploader", roles=[DETECTOR_EXPERT]))
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def single(exp, run: int):
    image = SimpleUploadedFile("CDC_occupancy.png", factories.png_bytes(40, 30, run), content_type="image/png")
    return {"image": image, "experiment": exp.slug, "plot_type": "CDC_occupancy", "run": run}


def bulk(exp, runs):
    files = [SimpleUploadedFile("CDC_occupancy.png", factories.png_bytes(40, 30, run), "image/png") for run in runs]
    return {"images": files, "experiment": exp.slug, "paths": [f"Run{run:06d}/CDC_occupancy.png" for run in runs]}


def archive(exp, runs):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for run in runs:
            zf.writestr(f"{PERIOD}/Run{run:06d}/CDC_occupancy.png", factories.png_bytes(40, 30, run))
    upload = SimpleUploadedFile("plots.zip", buffer.getvalue(), content_type="application/zip")
    return {"archive": upload, "experiment": exp.slug}


UPLOADS = {
    "single": ("/api/v1/plots/", lambda exp: single(exp, 82000), 1),
    "bulk": ("/api/v1/plots/bulk/", lambda exp: bulk(exp, [82000, 82001]), 2),
    "zip": ("/api/v1/plots/bulk/", lambda exp: archive(exp, [82000, 82001, 82002]), 3),
}


@pytest.mark.usefixtures("worker")
@pytest.mark.parametrize("kind", UPLOADS)
def test_an_upload_that_fails_before_its_transaction_ends_answers_503_and_leaves_nothing(kind, uploader):
    exp, pt, model = classifying_type()
    url, fields, count = UPLOADS[kind]
    with FailAfterTheListeners() as failure:
        response = uploader.post(url, fields(exp), format="multipart")
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "30"
    assert response.json()["error"]["code"] == "unavailable"
    assert failure.seen[0]["plots"] == count
    assert [len(params["plot_ids"]) for params in failure.seen[0]["jobs"]] == [count]
    assert_nothing_stored()

    again = uploader.post(url, fields(exp), format="multipart")
    assert again.status_code in (200, 201), again.content[:300]
    plots = sorted(Plot.objects.values_list("pk", flat=True))
    assert len(plots) == count
    assert sorted(Job.objects.get(kind="classify").params["plot_ids"]) == plots
    assert len(media_files()) == 2 * count
    assert_classified_once(model)


CRASH_AFTER_COMMIT = """
import os, signal, sys
import django

django.setup()
from apps.jobs import relay

# The hook point: the plots and their job have committed; the process dies before it sends anything.
relay.deliver_soon = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
from django.core.management import call_command

call_command("ingest", sys.argv[1], "--experiment", sys.argv[2], "--workers", "1")
"""


def test_an_ingest_killed_right_after_its_commit_leaves_its_job_in_the_outbox_and_a_worker_classifies_its_plots(
    tmp_path,
):
    exp, pt, model = classifying_type()
    tree = write_tree(tmp_path / "in", [83000, 83001, 83002, 83003])
    redis = ThrowawayRedis(tmp_path).start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hydra_portal.settings",
        "HYDRA_DEBUG": "true",
        "HYDRA_DATABASE_URL": database_url(),
        "HYDRA_BROKER_URL": redis.url,
        "HYDRA_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    try:
        crashed = subprocess.run(
            [sys.executable, "-c", CRASH_AFTER_COMMIT, str(tree), exp.name],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
        assert "ingested" not in crashed.stdout  # it died before its summary line
        plots = sorted(Plot.objects.filter(experiment=exp).values_list("pk", flat=True))
        assert len(plots) == 4
        assert len(media_files()) == 8
        job = Job.objects.get(kind="classify")
        assert job.status == Job.Status.QUEUED and job.sent_at is None  # committed, never sent: the outbox
        assert sorted(job.params["plot_ids"]) == plots

        with sending_to(redis.url):
            workers = Workers(redis.url, tmp_path / "workers.log", processes=1, queues=("classify",))
            try:
                wait_for(
                    lambda: (
                        Job.objects.filter(pk=job.pk, status=Job.Status.DONE).exists()
                        and not Plot.objects.filter(classified_at__isnull=True).exists()
                    ),
                    240,
                    lambda: f"{list(Job.objects.values_list('id', 'status', 'sent_at'))}\n{workers.output()}",
                )
            finally:
                workers.stop()
    finally:
        redis.kill()
    job.refresh_from_db()
    assert job.attempts == 1 and job.sent_at is not None, job.log
    assert Classification.objects.filter(model=model).count() == 4
    assert sorted(Classification.objects.values_list("plot_id", flat=True)) == plots
