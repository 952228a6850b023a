"""Media in S3-compatible object storage are backed up and restored through the storage API.

A real S3 server (moto's, on loopback) holds the portal's bucket; the backup goes to a local
folder and the restore fills a second, empty bucket.
"""

import io
import uuid

import boto3
import pytest
from django.core.management import call_command

from apps.plots.ingest import Ingestor
from apps.plots.models import Plot
from tests import factories
from tests.test_object_storage import bucket, s3_endpoint, source  # noqa: F401  (the S3 server and bucket fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def use_new_bucket(settings, endpoint: str) -> dict:
    """Point the default storage at a fresh bucket; returns a function listing its objects."""
    name = f"hydra-restored-{uuid.uuid4().hex[:8]}"
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=name)
    options = {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": name}
    settings.STORAGES = {**settings.STORAGES, "default": {**settings.STORAGES["default"], "OPTIONS": options}}

    def keys() -> dict[str, bytes]:
        listed = client.list_objects_v2(Bucket=name).get("Contents", [])
        return {o["Key"]: client.get_object(Bucket=name, Key=o["Key"])["Body"].read() for o in listed}

    return keys


def test_a_bucket_is_backed_up_incrementally_and_restored_into_an_empty_bucket(request, settings, tmp_path, media_root):
    bucket_keys, endpoint = request.getfixturevalue("bucket"), request.getfixturevalue("s3_endpoint")
    exp = factories.experiment("GlueX")
    with Ingestor(exp, workers=1) as ingestor:
        ingestor.ingest([source("CDC_occupancy", 80464 + i, factories.png_bytes(64, 48, seed=i)) for i in range(3)])
    original = bucket_keys()
    assert len(original) == 6
    call_command("backup", str(tmp_path / "dest"), stdout=io.StringIO())
    with Ingestor(exp, workers=1) as ingestor:
        ingestor.ingest([source("CDC_occupancy", 80470, factories.png_bytes(64, 48, seed=9))])
    out = io.StringIO()
    call_command("backup", str(tmp_path / "dest"), stdout=out)
    assert "8 files (2 copied, 6 already there" in out.getvalue()
    original = bucket_keys()

    restored = use_new_bucket(settings, endpoint)
    out = io.StringIO()
    call_command("restore", str(tmp_path / "dest"), force=True, stdout=out)
    assert "4 plots" in out.getvalue() and "8 files" in out.getvalue()
    assert restored() == original
    assert Plot.objects.count() == 4
    assert [p for p in media_root.rglob("*") if p.is_file()] == []
