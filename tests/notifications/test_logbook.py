"""Logbook entries to a real HTTP server on loopback: multipart with the stamped image, or JSON with base64."""

import base64
import json
from email.parser import BytesParser
from email.policy import HTTP

import pytest

from apps.notifications import notify, services
from tests.notifications.images import assert_stamped, put_plot_image

pytestmark = pytest.mark.django_db


def form_parts(posted) -> dict:
    head = f"Content-Type: {posted.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + posted.body)
    return {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}


@pytest.fixture
def logbook(http, settings):
    settings.LOGBOOK_URL = f"{http.url}/api/logbooks/{{logbook}}/entries"
    settings.LOGBOOK_TOKEN = "tok"
    settings.LOGBOOK_TITLE = "Hydra: {subject}"
    settings.LOGBOOK_BODY = "{text}\n(run {run}, {plot_type})"
    settings.LOGBOOK_TAGS = ["Hydra", "Monitoring"]
    return http


def test_a_multipart_entry_with_the_stamped_plot(logbook, settings):
    image = put_plot_image()
    (row,) = notify(
        "logbook:HDLOG",
        "ALARM: CDC_occupancy",
        "3 Bad runs of 3.",
        image=image,
        image_label="Run 4242",
        payload={"run": 4242, "plot_type": "CDC_occupancy", "tags": ["Alarm"]},
    )
    assert services.attempt(row.pk) == "sent"
    (posted,) = logbook.posts
    assert posted.path == "/api/logbooks/HDLOG/entries" and posted.headers["authorization"] == "Bearer tok"
    parts = form_parts(posted)
    assert parts["title"].get_content() == "Hydra: ALARM: CDC_occupancy"
    assert parts["text"].get_content() == "3 Bad runs of 3.\n(run 4242, CDC_occupancy)"
    assert parts["tags"].get_content() == "Hydra,Monitoring,Alarm,CDC_occupancy"
    assert parts["logbook"].get_content() == "HDLOG"
    attachment = parts["attachment"]
    assert attachment.get_filename() == "run-4242.png" and attachment.get_content_type() == "image/png"
    assert_stamped(attachment.get_payload(decode=True))


def test_a_json_entry_with_the_image_in_base64(logbook, settings):
    settings.LOGBOOK_FORMAT = "json"
    (row,) = notify("logbook:HDLOG", "Brief", "All quiet.", image=put_plot_image(), image_label="Run 7")
    assert services.attempt(row.pk) == "sent"
    document = json.loads(logbook.posts[0].body)
    assert document["title"] == "Hydra: Brief" and document["text"] == "All quiet.\n(run , )"
    assert document["tags"] == ["Hydra", "Monitoring"]
    (attached,) = document["attachments"]
    assert attached["filename"] == "run-7.png" and attached["type"] == "image/png"
    assert_stamped(base64.b64decode(attached["data"]))


def test_an_entry_without_an_image_and_a_missing_image(logbook):
    rows = notify(["logbook:A"], subject="S", text="T") + notify("logbook:B", "S", "T", image="plots/gone.png")
    assert [services.attempt(r.pk) for r in rows] == ["sent", "sent"]
    assert [("attachment" in form_parts(p)) for p in logbook.posts] == [False, False]


def test_a_bad_template_fails_with_the_reason(logbook, settings):
    settings.LOGBOOK_TITLE = "{subject"
    (row,) = notify("logbook:HDLOG", "S", "T")
    assert services.attempt(row.pk) == "failed"
    row.refresh_from_db()
    assert row.last_error.startswith("HYDRA_LOGBOOK_TITLE or HYDRA_LOGBOOK_BODY is not a valid template")
