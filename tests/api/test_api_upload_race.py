"""Two uploads racing for one plot slot: the one that loses is told whose image holds the slot.

The race is made real and deterministic: the competing row is inserted into the database just
before the upload's own insert, after its look-up found the slot empty.
"""

import io
import os
import re
from contextlib import contextmanager

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from apps.plots.models import Plot
from tests import factories
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

PLOT_TABLE = rf"[`\"]{Plot._meta.db_table}[`\"]"
SLOT_LOOKUP = re.compile(rf"^\s*SELECT .* FROM {PLOT_TABLE}", re.IGNORECASE | re.DOTALL)


@contextmanager
def racing_insert(make_row):
    """Call ``make_row`` once, after the upload looked its slot up and before its next statement.

    That is the window a concurrent upload fills: the slot looked empty, the insert comes next.
    """
    raced, looked_up = [], []

    def wrapper(execute, sql, params, many, context):
        if looked_up and not raced:
            raced.append(None)  # first, so that the racer's own statements pass straight through
            raced[0] = make_row()
        result = execute(sql, params, many, context)
        if not looked_up and SLOT_LOOKUP.match(sql):
            looked_up.append(sql)
        return result

    with connection.execute_wrapper(wrapper):
        yield raced


@pytest.fixture
def slot(experiment):
    """The plot type, run and campaign of a slot, existing already, as after earlier uploads."""
    ptype = factories.plot_type(experiment, "CDC_occupancy")
    run = factories.run(experiment, 80464, period="RunPeriod-2021-08")
    return ptype, run, factories.campaign(experiment, "online")


def upload(client, experiment, data: bytes):
    fields = {
        "image": SimpleUploadedFile("CDC_occupancy.png", data, content_type="image/png"),
        "experiment": experiment.slug,
        **{"plot_type": "CDC_occupancy", "run": 80464, "run_period": "RunPeriod-2021-08", "campaign": "online"},
    }
    return client.post("/api/v1/plots/", fields, format="multipart")


def stored_files(media_root) -> set[str]:
    return {os.path.relpath(os.path.join(d, f), media_root) for d, _, fs in os.walk(media_root) for f in fs}


def test_losing_a_race_with_different_bytes_is_a_409_naming_the_image_that_won(
    expert, as_user, experiment, slot, make_png, media_root
):
    ptype, run, camp = slot
    with racing_insert(lambda: factories.plot_from_png(ptype, make_png(seed=1), run, camp)) as raced:
        response = upload(as_user(expert), experiment, make_png(seed=2))
    winner = raced[0]
    assert response.status_code == 409, response.content
    error = error_of(response)
    assert error["code"] == "slot_taken"
    assert error["details"] == {"name": "CDC_occupancy.png", "sha256": winner.sha256}
    assert winner.sha256 in error["message"] and "already holds a different image" in error["message"]
    assert list(Plot.objects.values_list("pk", "sha256")) == [(winner.pk, winner.sha256)]
    assert stored_files(media_root) == {str(winner.image), str(winner.thumbnail)}


def test_losing_a_race_with_the_same_bytes_answers_200_with_the_plot_that_won(
    expert, as_user, experiment, slot, make_png
):
    ptype, run, camp = slot
    data = make_png(seed=3)
    with racing_insert(lambda: factories.plot_from_png(ptype, data, run, camp)) as raced:
        response = upload(as_user(expert), experiment, data)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == raced[0].pk and response.json()["sha256"] == raced[0].sha256
    assert Plot.objects.count() == 1


def test_manage_py_ingest_reports_a_slot_lost_to_a_racing_upload_by_file(
    experiment, slot, make_png, tmp_path, media_root
):
    ptype, run, camp = slot
    path = tmp_path / "in" / "RunPeriod-2021-08" / "Run080464" / "CDC_occupancy.png"
    path.parent.mkdir(parents=True)
    path.write_bytes(make_png(seed=4))
    out, err = io.StringIO(), io.StringIO()
    with racing_insert(lambda: factories.plot_from_png(ptype, make_png(seed=5), run, camp)) as raced:
        call_command("ingest", str(tmp_path / "in"), experiment=experiment.name, workers=1, stdout=out, stderr=err)
    assert err.getvalue().splitlines() == [
        "rejected RunPeriod-2021-08/Run080464/CDC_occupancy.png: "
        f"this plot slot already holds a different image (sha256 {raced[0].sha256})"
    ]
    assert out.getvalue().splitlines()[-1].startswith("ingested 0 new, 0 duplicate, 1 rejected")
