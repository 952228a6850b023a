"""POST /api/v1/plots/bulk/: many files or a zip; each file reported, the good ones go in."""

import io
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.plots.models import Plot, PlotType
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/plots/bulk/"


def stored_files(media_root) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), media_root) for d, _, fs in os.walk(media_root) for f in fs)


def png(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def zip_of(members: dict[str, bytes]) -> SimpleUploadedFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return SimpleUploadedFile("plots.zip", out.getvalue(), content_type="application/zip")


@pytest.fixture
def uploader(expert, as_user):
    return as_user(expert)


def test_files_with_hydra_paths_go_in_and_one_broken_file_is_reported(uploader, experiment, make_png):
    paths = [
        "RunPeriod-2021-08/Run080464/CDC_occupancy.png",
        "RunPeriod-2021-08/Run080464/FCAL_occupancy_0002.png",
        "RunPeriod-2021-08/Run080465/CDC_occupancy.png",
    ]
    images = [png("a.png", make_png(seed=1)), png("b.png", b"\x89PNG broken"), png("c.png", make_png(seed=2))]
    response = uploader.post(URL, {"experiment": experiment.slug, "images": images, "paths": paths}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["counts"] == {"new": 2, "duplicate": 0, "rejected": 1}
    assert [r["status"] for r in body["results"]] == ["new", "rejected", "new"]
    assert [r["name"] for r in body["results"]] == paths
    assert body["results"][1]["plot"] is None and body["results"][1]["reason"]
    assert body["results"][0]["plot"]["image_url"].startswith("http://testserver/media/plots/")
    slots = sorted(Plot.objects.values_list("plot_type__name", "run_number", "chunk", "run_period__name"))
    assert slots == [("CDC_occupancy", 80464, 0, "RunPeriod-2021-08"), ("CDC_occupancy", 80465, 0, "RunPeriod-2021-08")]
    assert not PlotType.objects.filter(name="FCAL_occupancy").exists()


def test_bare_file_names_take_run_and_period_from_the_form(uploader, experiment, make_png):
    images = [png("CDC_occupancy_0001.png", make_png(seed=3)), png("FCAL_occupancy.png", make_png(seed=4))]
    response = uploader.post(
        URL,
        {"experiment": experiment.slug, "images": images, "run": 1234, "run_period": "RunPeriod-X", "campaign": "sim"},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    rows = sorted(
        Plot.objects.values_list("plot_type__name", "chunk", "run_number", "run_period__name", "campaign__name")
    )
    assert rows == [("CDC_occupancy", 1, 1234, "RunPeriod-X", "sim"), ("FCAL_occupancy", 0, 1234, "RunPeriod-X", "sim")]


def test_a_bare_name_without_a_run_is_rejected(uploader, experiment, make_png):
    images = [png("CDC_occupancy.png", make_png(seed=5)), png("FCAL_occupancy.png", make_png(seed=6))]
    response = uploader.post(URL, {"experiment": experiment.slug, "images": images}, format="multipart")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "all_rejected"
    assert {r["reason"] for r in error["details"]["results"]} == {"no RunNNNNNN folder in the name and no run given"}


def test_sending_the_same_batch_twice_reports_duplicates_and_adds_nothing(uploader, experiment, make_png):
    def send():
        images = [png("a.png", make_png(seed=7)), png("b.png", make_png(seed=8))]
        paths = ["P/Run000001/A.png", "P/Run000001/B.png"]
        return uploader.post(URL, {"experiment": experiment.slug, "images": images, "paths": paths}, format="multipart")

    first, again = send(), send()
    assert first.json()["counts"]["new"] == 2
    assert again.status_code == 200
    assert again.json()["counts"] == {"new": 0, "duplicate": 2, "rejected": 0}
    assert [r["plot"]["id"] for r in again.json()["results"]] == [r["plot"]["id"] for r in first.json()["results"]]
    assert Plot.objects.count() == 2


def test_a_zip_archive_goes_in_with_its_folders_as_the_layout(uploader, experiment, make_png):
    archive = zip_of(
        {
            "upload/RunPeriod-2022-05/Run090001/CDC_occupancy.png": make_png(seed=9),
            "upload/RunPeriod-2022-05/Run090001/FCAL_occupancy_0003.png": make_png(seed=10),
            "upload/RunPeriod-2022-05/Run090002/README.txt": b"notes",
            "upload/.DS_Store": b"junk",
            "__MACOSX/upload/._x.png": b"junk",
        }
    )
    response = uploader.post(URL, {"experiment": experiment.slug, "archive": archive}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["counts"] == {"new": 2, "duplicate": 0, "rejected": 1}
    assert body["results"][2]["name"].endswith("README.txt")
    assert sorted(Plot.objects.values_list("plot_type__name", "chunk")) == [("CDC_occupancy", 0), ("FCAL_occupancy", 3)]
    assert set(Plot.objects.values_list("run_period__name", flat=True)) == {"RunPeriod-2022-05"}


def test_a_zip_that_would_unpack_past_the_limit_is_refused_whole(uploader, experiment, make_png, settings, media_root):
    settings.MAX_ARCHIVE_BYTES = 100_000
    archive = zip_of({"P/Run000001/A.png": make_png(seed=11), "P/Run000001/Zeros.png": b"\0" * 200_000})
    response = uploader.post(URL, {"experiment": experiment.slug, "archive": archive}, format="multipart")
    assert response.status_code == 413
    assert error_of(response)["details"]["limit"] == 100_000
    assert not Plot.objects.exists() and stored_files(media_root) == []


def test_a_zip_with_too_many_members_is_refused_whole(uploader, experiment, make_png, settings, media_root):
    settings.MAX_ARCHIVE_MEMBERS = 2
    archive = zip_of({f"P/Run000001/T{i}.png": make_png(seed=20 + i) for i in range(3)})
    response = uploader.post(URL, {"experiment": experiment.slug, "archive": archive}, format="multipart")
    assert response.status_code == 413
    assert not Plot.objects.exists() and stored_files(media_root) == []


def test_a_member_over_the_image_limit_is_rejected_without_being_read(uploader, experiment, make_png, settings):
    small = make_png(seed=30)
    settings.MAX_IMAGE_BYTES = len(small) + 10
    archive = zip_of({"P/Run000001/Small.png": small, "P/Run000001/Big.png": b"\0" * (len(small) * 50)})
    response = uploader.post(URL, {"experiment": experiment.slug, "archive": archive}, format="multipart")
    assert response.status_code == 200
    results = {r["name"]: r for r in response.json()["results"]}
    assert results["P/Run000001/Big.png"]["status"] == "rejected"
    assert "over the limit" in results["P/Run000001/Big.png"]["reason"]


def test_a_file_that_is_not_a_zip_under_archive_is_a_415(uploader, experiment, media_root):
    archive = SimpleUploadedFile("plots.zip", b"not a zip at all", content_type="application/zip")
    response = uploader.post(URL, {"experiment": experiment.slug, "archive": archive}, format="multipart")
    assert response.status_code == 415
    assert error_of(response)["code"] == "bad_archive"
    assert stored_files(media_root) == []


def test_every_file_rejected_is_a_400_with_each_result(uploader, experiment, media_root):
    images = [png("a.png", b"nope"), png("b.png", b"")]
    paths = ["P/Run000001/A.png", "P/Run000001/B.png"]
    response = uploader.post(URL, {"experiment": experiment.slug, "images": images, "paths": paths}, format="multipart")
    assert response.status_code == 400
    error = error_of(response)
    assert error["details"]["counts"] == {"new": 0, "duplicate": 0, "rejected": 2}
    assert not Plot.objects.exists() and not PlotType.objects.exists() and stored_files(media_root) == []


def test_a_request_without_files_is_a_400(uploader, experiment):
    response = uploader.post(URL, {"experiment": experiment.slug}, format="multipart")
    assert response.status_code == 400
    assert "images" in error_of(response)["details"]


def test_paths_must_match_the_images_one_to_one(uploader, experiment, make_png):
    response = uploader.post(
        URL,
        {"experiment": experiment.slug, "images": [png("a.png", make_png())], "paths": ["x/Run1/A.png", "y"]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "paths" in error_of(response)["details"]


def test_an_oversized_bulk_request_is_refused_from_its_content_length(uploader, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    response = uploader.generic(
        "POST", URL, b"x", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH="5000"
    )
    assert response.status_code == 413
    assert not Plot.objects.exists()


def test_more_files_than_django_accepts_in_one_request_is_a_400(uploader, experiment, settings, media_root):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    images = [png(f"T{i}.png", b"x") for i in range(4)]
    response = uploader.post(URL, {"experiment": experiment.slug, "images": images, "run": 1}, format="multipart")
    assert response.status_code == 400
    assert error_of(response)["code"] == "too_many_parts"
    assert stored_files(media_root) == []


def test_one_request_may_carry_more_files_than_djangos_default_of_100(uploader, experiment, make_png, settings):
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 1000
    images = [png(f"CDC_occupancy_{i:04d}.png", make_png(seed=1000 + i)) for i in range(150)]
    response = uploader.post(URL, {"experiment": experiment.slug, "images": images, "run": 7}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["counts"] == {"new": 150, "duplicate": 0, "rejected": 0}
    assert Plot.objects.filter(run_number=7).count() == 150


def test_a_bulk_upload_can_hold_its_plots_out_of_training(uploader, experiment, make_png):
    images = [png(f"CDC_occupancy_{i:04d}.png", make_png(seed=2000 + i)) for i in range(3)]
    form = {"experiment": experiment.slug, "images": images, "run": 8, "training_weight": 0}
    response = uploader.post(URL, form, format="multipart")
    assert response.status_code == 200, response.content
    assert sorted(Plot.objects.values_list("training_weight", flat=True)) == [0, 0, 0]
