"""An API upload whose database connection MariaDB kills (``KILL <id>`` from another connection) mid-request.

The client gets a clean 503 with ``Retry-After`` (or its 200), and whatever the moment of the kill: no
file without its row, no row without its file, no plot without its classification job. Sending the same
request again stores the rest, and every plot ends with one verdict.
"""

import io
import os
import threading
import time
import zipfile
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from apps.accounts.roles import DETECTOR_EXPERT
from apps.jobs.models import Job
from apps.monitoring.models import Classification
from apps.plots.models import Plot
from apps.plots.signals import plots_ingested
from tests import factories
from tests.job_processes import database_url, wait_for
from tests.monitoring.conftest import wait_for_jobs
from tests.test_serve_command import serving

pytestmark = pytest.mark.django_db(transaction=True)
PERIOD = "RunPeriod-2021-08"


@pytest.fixture(autouse=True)
def mysql_only():
    if connection.vendor != "mysql":
        pytest.skip("needs MariaDB: an SQLite connection cannot be killed from outside")


def killer():
    """A connection of its own to the test database's server, to KILL others from."""
    import MySQLdb

    s = connection.settings_dict
    return MySQLdb.connect(
        host=s["HOST"] or "127.0.0.1",
        port=int(s["PORT"] or 3306),
        user=s["USER"],
        password=s["PASSWORD"] or "",
        autocommit=True,
    )


def kill(ids) -> None:
    conn = killer()
    try:
        cursor = conn.cursor()
        for pid in ids:
            cursor.execute(f"KILL {int(pid)}")
    finally:
        conn.close()


def classifying_type():
    factories.restore_roles()
    exp = factories.experiment()
    pt = factories.plot_type(exp, "CDC_occupancy")
    model = factories.classifier_model(pt, activate=True)
    _, key = factories.api_token(factories.user("uploader", roles=[DETECTOR_EXPERT]))
    return exp, model, key


def plot_files() -> set[str]:
    """Plot images and thumbnails on disk, as names relative to the media root (model files left out)."""
    root = Path(settings.MEDIA_ROOT)
    names = {Path(folder, name).relative_to(root) for folder, _dirs, files in os.walk(root) for name in files}
    return {str(n) for n in names if n.parts[0] != "models" and not n.name.startswith(".tmp")}


def assert_consistent() -> list[int]:
    """No file without its row, no row without its file, no plot without a classification job; the plot ids."""
    rows = list(Plot.objects.values_list("pk", "image", "thumbnail"))
    named = {name for _, image, thumb in rows for name in (image, thumb)}
    assert plot_files() == named
    queued = {
        pk
        for params in Job.objects.filter(kind="classify").values_list("params", flat=True)
        for pk in params["plot_ids"]
    }
    ids = sorted(pk for pk, _, _ in rows)
    assert set(ids) <= queued, f"plots without a classification job: {set(ids) - queued}"
    return ids


def assert_unavailable(status: int, headers, body: dict) -> None:
    assert status == 503, body
    assert headers["Retry-After"] == "30"
    assert body["error"]["code"] == "unavailable"
    assert body["error"]["message"] == "the database is unavailable for a moment; try again shortly"


@pytest.mark.usefixtures("worker")
def test_a_kill_inside_the_uploads_transaction_answers_503_and_stores_nothing_then_a_retry_stores_it():
    """Deterministic: the connection dies after the plot and its job are inserted, before the commit."""
    exp, model, key = classifying_type()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    killed = []

    def kill_my_connection(sender, plots, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT CONNECTION_ID()")
            (pid,) = cursor.fetchone()
        assert Job.objects.filter(kind="classify").exists()  # the job is in this transaction too
        kill([pid])
        killed.append(pid)

    image = factories.png_bytes(40, 30, 7)

    def upload():
        fields = {
            "image": SimpleUploadedFile("CDC_occupancy.png", image, content_type="image/png"),
            "experiment": exp.slug,
            "plot_type": "CDC_occupancy",
            "run": 84000,
        }
        return client.post("/api/v1/plots/", fields, format="multipart")

    plots_ingested.connect(kill_my_connection, weak=False, dispatch_uid="test-kill-connection")
    try:
        response = upload()
    finally:
        plots_ingested.disconnect(dispatch_uid="test-kill-connection")
    assert killed
    assert_unavailable(response.status_code, response, response.json())
    assert Plot.objects.count() == 0 and Job.objects.count() == 0
    assert plot_files() == set()

    again = upload()
    assert again.status_code == 201, again.content[:300]
    [plot_id] = assert_consistent()
    assert again.json()["id"] == plot_id
    assert Job.objects.get(kind="classify").params["plot_ids"] == [plot_id]
    [job] = wait_for_jobs("classify")
    assert job.status == Job.Status.DONE, job.log
    assert list(Classification.objects.values_list("plot_id", "model_id")) == [(plot_id, model.pk)]


def zip_of(runs) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for run in runs:
            zf.writestr(f"{PERIOD}/Run{run:06d}/CDC_occupancy.png", factories.png_bytes(200, 150, run))
    return buffer.getvalue()


def test_a_served_zip_upload_whose_connection_is_killed_midway_leaves_nothing_half_written_and_a_retry_completes(
    tmp_path,
):
    exp, model, key = classifying_type()
    runs = range(85000, 85150)  # two batches of the upload's ingest (100 + 50)
    archive = zip_of(runs)
    with connection.cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID(), DATABASE()")
        mine, database = cursor.fetchone()

    def post() -> requests.Response:
        return requests.post(
            f"{base}/api/v1/plots/bulk/",
            files={"archive": ("plots.zip", archive, "application/zip")},
            data={"experiment": exp.slug},
            headers={"Authorization": f"Token {key}"},
            timeout=180,
        )

    # The served portal uses this test's database and media root; without a broker it runs its jobs itself.
    with serving(tmp_path, HYDRA_DATABASE_URL=database_url()) as (base, _port, _env, log):
        answer = {}
        request = threading.Thread(target=lambda: answer.update(response=post()))
        request.start()
        # The upload stores files before it inserts their rows: the first file means the request holds
        # its connection and has its inserts still to come. Every connection of the portal dies then.
        wait_for(lambda: plot_files() or not request.is_alive(), 120, lambda: "a stored file", poll=0.005)
        conn = killer()
        try:
            cursor = conn.cursor()
            cursor.execute(
                "SELECT id FROM information_schema.processlist WHERE db = %s AND id NOT IN (%s, CONNECTION_ID())",
                [database, mine],
            )
            victims = [pid for (pid,) in cursor.fetchall()]
        finally:
            conn.close()
        kill(victims)
        request.join(timeout=180)
        response = answer["response"]
        assert victims, "no connection of the portal to kill"
        if response.status_code == 503:
            assert_unavailable(response.status_code, response.headers, response.json())
        else:  # the kill came after the request's last query
            assert response.status_code == 200, response.text[:500]
        stored = assert_consistent()
        assert response.status_code == 503, f"the upload ended before the kill ({len(stored)} plots)"

        retry = post()
        assert retry.status_code == 200, retry.text[:500]
        counts = retry.json()["counts"]
        assert counts == {"new": 150 - len(stored), "duplicate": len(stored), "rejected": 0}
        plots = assert_consistent()
        assert len(plots) == 150
        wait_for(
            lambda: (
                not Plot.objects.filter(classified_at__isnull=True).exists()
                and not Job.objects.filter(kind="classify").exclude(status__in=[Job.Status.DONE]).exists()
            ),
            180,
            lambda: f"{list(Job.objects.values_list('id', 'kind', 'status', 'message'))}\n{log.read_text()[-3000:]}",
        )
        time.sleep(0.5)  # a duplicate job, if any, would show now
    assert Classification.objects.filter(model=model).count() == 150
    assert sorted(Classification.objects.values_list("plot_id", flat=True)) == plots
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
