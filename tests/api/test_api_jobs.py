"""/api/v1/jobs/: background jobs, read-only, filtered by kind and status."""

import pytest

from apps.jobs.models import Job
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/jobs/"


def test_jobs_are_listed_newest_first_and_filtered(api, viewer):
    Job.objects.create(kind="ingest", title="first", created_by=viewer)
    done = Job.objects.create(kind="train", title="second")
    done.start()
    done.finish("trained")
    rows = api.get(URL).json()["results"]
    assert [r["title"] for r in rows] == ["second", "first"]
    assert rows[1]["created_by"] == "viewer"
    assert [r["title"] for r in api.get(URL, {"status": "done"}).json()["results"]] == ["second"]
    assert [r["title"] for r in api.get(URL, {"kind": "ingest"}).json()["results"]] == ["first"]
    assert "status" in error_of(api.get(URL, {"status": "sleeping"}))["details"]


def test_jobs_cannot_be_written(admin, as_user):
    assert as_user(admin).post(URL, {"kind": "x"}, format="json").status_code == 405
    assert not Job.objects.exists()
