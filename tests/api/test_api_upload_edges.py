"""Uploads at the edges: zip members that try to leave the archive, and images with too many pixels."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.plots.models import Plot
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def uploader(expert, as_user):
    return as_user(expert)


def test_a_zip_member_with_dot_dot_in_its_path_gets_a_rejected_result(uploader, experiment, make_png, media_root):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("RunPeriod-1/Run000001/CDC_occupancy.png", make_png(seed=1))
        zf.writestr("../../RunPeriod-1/Run000001/FCAL_occupancy.png", make_png(seed=2))
        zf.writestr("/etc/RunPeriod-1/Run000001/BCAL_timing.png", make_png(seed=3))
    archive = SimpleUploadedFile("plots.zip", out.getvalue(), content_type="application/zip")
    response = uploader.post("/api/v1/plots/bulk/", {"experiment": experiment.slug, "archive": archive})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["counts"] == {"new": 1, "duplicate": 0, "rejected": 2}
    assert [(r["name"], r["status"], r["reason"]) for r in body["results"][1:]] == [
        (
            "../../RunPeriod-1/Run000001/FCAL_occupancy.png",
            "rejected",
            "the path leaves the archive ('..' or an absolute path)",
        ),
        (
            "/etc/RunPeriod-1/Run000001/BCAL_timing.png",
            "rejected",
            "the path leaves the archive ('..' or an absolute path)",
        ),
    ]
    assert list(Plot.objects.values_list("plot_type__name", flat=True)) == ["CDC_occupancy"]


def test_a_7000_by_7000_png_is_a_415_too_many_pixels(uploader, experiment, media_root):
    out = io.BytesIO()
    Image.new("L", (7000, 7000)).save(out, "PNG")
    fields = {
        "image": SimpleUploadedFile("CDC_occupancy.png", out.getvalue(), content_type="image/png"),
        **{"experiment": experiment.slug, "plot_type": "CDC_occupancy", "run": 1},
    }
    response = uploader.post("/api/v1/plots/", fields, format="multipart")
    assert response.status_code == 415
    error = error_of(response)
    assert error["code"] == "too_many_pixels"
    assert error["message"] == "image is 7000x7000 pixels, over the limit of 40,000,000 pixels"
    assert not Plot.objects.exists()
