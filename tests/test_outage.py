"""A database the portal cannot reach: pages, API and /healthz answer 503, and the next request after it returns works.

The connection is pointed where no database is (a SQLite file in a folder that does not exist, or a
MySQL port nothing listens on), so the driver really fails to connect. The processes of
tests/test_outage_processes.py kill real servers.
"""

import contextlib
import io
import json
import socket
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.test import RequestFactory
from django.utils import timezone

from apps.core import outage
from apps.jobs.models import Job
from tests import factories
from tests.services import strict

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def database_unreachable(tmp_path):
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "no-such-folder" / "hydra.sqlite3")
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_free_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def test_a_page_answers_the_branded_503_with_retry_after_while_the_database_is_unreachable(client, tmp_path):
    factories.experiment("GlueX")
    with database_unreachable(tmp_path):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
    body = response.content.decode()
    assert "The portal is unavailable for a moment" in body
    assert "Back to the dashboard" in body


def test_the_api_answers_503_unavailable_in_its_error_shape_while_the_database_is_unreachable(client, tmp_path):
    with database_unreachable(tmp_path):
        response = client.get("/api/v1/plots/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
    error = response.json()["error"]
    assert error["status"] == 503
    assert error["code"] == "unavailable"
    assert "database is unavailable" in error["message"]


def test_healthz_answers_503_naming_the_database_while_it_is_unreachable(client, tmp_path):
    with database_unreachable(tmp_path):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["database"]
    assert body["checks"]["database"]["status"] == "error"
    assert "unavailable" in body["checks"]["database"]["message"]
    assert body["checks"]["media"]["status"] == "ok"
    assert body["checks"]["workers"]["required"] is False


def test_the_first_request_after_the_database_returns_succeeds(client, tmp_path):
    factories.experiment("GlueX")
    with database_unreachable(tmp_path):
        assert client.get("/api/v1/experiments/").status_code == 503
    response = client.get("/api/v1/experiments/")
    assert response.status_code == 200
    assert [e["name"] for e in response.json()["results"]] == ["GlueX"]


def test_an_outage_raised_outside_a_view_answers_503_through_handler500():
    request = RequestFactory().get("/api/v1/plots/")
    try:
        raise OperationalError("(2006, 'Server has gone away')")
    except OperationalError:
        response = outage.server_error(request)
    assert response.status_code == 503
    assert json.loads(response.content)["error"]["code"] == "unavailable"


def test_healthz_answers_200_listing_each_part_when_all_are_up(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "broker", "channel_layer", "media", "workers"}
    assert all(check["status"] == "ok" for check in body["checks"].values())
    assert body["checks"]["database"]["message"] == f"{connection.vendor} answers"
    assert body["checks"]["media"]["message"] == f"{settings.MEDIA_ROOT} is writable"
    assert response["Cache-Control"] == "no-store"


def test_healthz_answers_503_when_the_media_folder_cannot_be_written(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.MEDIA_ROOT = blocker / "media"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["media"]
    assert "is not writable" in body["checks"]["media"]["message"]


def test_healthz_answers_503_when_nothing_listens_at_the_broker_url(client, settings):
    port = _free_port()
    settings.BROKER_URL = f"redis://:secret@127.0.0.1:{port}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    message = body["checks"]["broker"]["message"]
    assert message.startswith(f"redis://127.0.0.1:{port} unreachable")
    assert "secret" not in message


def _rabbitmq_listening() -> None:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=1).close()
    except OSError:
        message = "RabbitMQ is not running on 127.0.0.1:5672 (apt-get install rabbitmq-server)"
        if strict():
            pytest.fail(message)
        pytest.skip(message)


def test_healthz_opens_a_rabbitmq_connection_to_check_an_amqp_broker(client, settings):
    _rabbitmq_listening()
    settings.BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["message"] == "amqp://127.0.0.1:5672 answers"


def test_healthz_answers_503_when_no_rabbitmq_listens_at_the_amqp_broker_url(client, settings):
    port = _free_port()
    settings.BROKER_URL = f"amqp://guest:guest@127.0.0.1:{port}/"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"]["message"].startswith(f"amqp://127.0.0.1:{port} unreachable")


def test_healthz_reports_running_jobs_with_the_age_of_their_newest_heartbeat(client):
    now = timezone.now()
    Job.objects.create(kind="train", status=Job.Status.RUNNING, heartbeat_at=now - timedelta(seconds=40))
    Job.objects.create(kind="classify", status=Job.Status.RUNNING, heartbeat_at=now - timedelta(seconds=10))
    Job.objects.create(kind="classify", status=Job.Status.QUEUED)
    response = client.get("/healthz")
    assert response.status_code == 200
    workers = response.json()["checks"]["workers"]
    assert workers["status"] == "ok"
    assert workers["message"].startswith("2 running, 1 queued; newest heartbeat 1")


def test_healthz_flags_workers_whose_newest_heartbeat_is_over_the_limit_without_failing(client, settings):
    settings.JOB_HEARTBEAT_TIMEOUT = 60.0
    Job.objects.create(kind="train", status=Job.Status.RUNNING, heartbeat_at=timezone.now() - timedelta(minutes=5))
    response = client.get("/healthz")
    assert response.status_code == 200
    workers = response.json()["checks"]["workers"]
    assert workers["status"] == "error"
    assert "over the 60 s limit" in workers["message"]


def test_ingest_with_the_database_unreachable_ends_in_one_line_naming_it(tmp_path):
    (tmp_path / "tree").mkdir()
    err = io.StringIO()
    with database_unreachable(tmp_path), pytest.raises(CommandError) as raised:
        call_command("ingest", str(tmp_path / "tree"), experiment="GlueX", stderr=err)
    assert str(raised.value).startswith("nothing ingested: database unavailable (")
    assert "\n" not in str(raised.value)
