"""A brief on demand from the command line, the pages and the API; the note; who may do what."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.roles import LABELER, VIEWER
from apps.audit.models import AuditEntry
from apps.briefs.models import Brief
from apps.notifications.models import Delivery
from tests import factories
from tests.briefs import scene
from tests.briefs.conftest import schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def shift(settings):
    settings.LOGBOOK_URL = "http://127.0.0.1:9/{logbook}"
    shift = scene.build()
    schedule(shift.exp)
    return shift


def iso(moment):
    return timezone.localtime(moment).isoformat()


def client_for(*roles):
    client = Client()
    client.force_login(factories.user(roles=roles))
    return client


def api(*roles):
    client = APIClient()
    if roles:
        _, key = factories.api_token(factories.user(roles=roles))
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- manage.py brief ---------------------------------------------------------------------------


def test_the_command_prints_the_brief_and_keeps_nothing(shift):
    out = io.StringIO()
    call_command(
        "brief", "--experiment", shift.exp.name, "--since", iso(shift.since), "--until", iso(shift.until), stdout=out
    )
    text = out.getvalue()
    assert "Runs taken: 5 (2001 to 2005)" in text and "Plots classified: 15 (11 confirmed, 4 unconfirmed)" in text
    assert "  - alice: 3\n  - bob: 2" in text
    assert Brief.objects.count() == 0 and Delivery.objects.count() == 0


def test_the_command_sends_with_send_once_per_brief(shift):
    out, err = io.StringIO(), io.StringIO()
    args = ["--experiment", shift.exp.slug, "--since", iso(shift.since), "--until", iso(shift.until)]
    call_command("brief", *args, "--send", "--shift", "Owl", "--note", "Beam back at 04:10.", stdout=out, stderr=err)
    brief = Brief.objects.get()
    assert brief.status == "sent" and brief.shift_name == "Owl" and brief.note == "Beam back at 04:10."
    assert "For the next shift:\nBeam back at 04:10." in out.getvalue()
    assert f"Brief {brief.pk} sent" in err.getvalue()
    assert sorted(Delivery.objects.values_list("channel", flat=True)) == ["email", "logbook"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--experiment", "nope"], "No experiment 'nope'"),
        (["--since", "yesterday"], "since: 'yesterday' is not a date"),
        (["--since", "2026-12-04 08:00", "--until", "2026-12-04 07:00"], "must end after it starts"),
        (["--since", "2026-01-01", "--until", "2026-03-01"], "at most 31 days"),
    ],
)
def test_the_command_explains_bad_arguments_in_one_line(args, message):
    exp = factories.experiment()
    if "--experiment" not in args:
        args = ["--experiment", exp.name, *args]
    with pytest.raises(CommandError, match=message):
        call_command("brief", *args)


# --- pages -------------------------------------------------------------------------------------


def test_the_crew_previews_a_period_then_sends_it_with_a_note(shift):
    client = client_for(LABELER)
    params = {"experiment": shift.exp.slug, "since": iso(shift.since), "until": iso(shift.until)}
    page = client.get("/briefs/new", params)
    html = page.content.decode()
    assert page.status_code == 200 and "Preview:" in html
    assert shift.plots[("CDC_occupancy", 2002)].thumbnail_url in html
    assert "HV trip, called Ann" in html and "carol" in html
    assert Brief.objects.count() == 0
    sent = client.post(
        "/briefs/new", {"since": params["since"], "until": params["until"], "note": "Call Ann at 08:00", "send": "1"}
    )
    brief = Brief.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/briefs/{brief.pk}/"
    assert brief.status == "sent" and brief.note == "Call Ann at 08:00" and brief.written_by.groups.filter(name=LABELER)
    assert Delivery.objects.count() == 2
    detail = client.get(f"/briefs/{brief.pk}/").content.decode()
    assert "Call Ann at 08:00" in detail and "Save and send" not in detail


def test_plot_type_names_in_a_brief_wrap_after_their_underscores_not_mid_word(shift):
    from apps.briefs.templatetags.briefs import breakable

    client = client_for(LABELER)
    params = {"experiment": shift.exp.slug, "since": iso(shift.since), "until": iso(shift.until)}
    html = client.get("/briefs/new", params).content.decode()
    assert '<span class="bf-cap"><strong>CDC_<wbr>occupancy</strong> run ' in html
    assert "<strong>CDC_<wbr>occupancy</strong></a>" in html  # its alarm
    assert "<strong>CDC_occupancy</strong>" not in html
    assert breakable("<b>TOF_paddle</b>") == "&lt;b&gt;TOF_<wbr>paddle&lt;/b&gt;"


def test_a_draft_takes_the_note_then_is_sent_once_from_its_page(shift):
    client = client_for(LABELER)
    client.post("/briefs/new?experiment=" + shift.exp.slug, {"since": iso(shift.since), "until": iso(shift.until)})
    brief = Brief.objects.get()
    assert brief.status == "draft"
    page = client.get(f"/briefs/{brief.pk}/").content.decode()
    assert "Save and send" in page
    saved = client.post(f"/briefs/{brief.pk}/note", {"note": "FCAL: watch it"})
    brief.refresh_from_db()
    assert saved.status_code == 302 and brief.note == "FCAL: watch it" and brief.status == "draft"
    client.post(f"/briefs/{brief.pk}/note", {"note": "FCAL: watch it, call Ann", "send": "1"})
    client.post(f"/briefs/{brief.pk}/send")
    brief.refresh_from_db()
    assert brief.status == "sent" and "FCAL: watch it, call Ann" in brief.text
    assert Delivery.objects.count() == 2
    late = client.post(f"/briefs/{brief.pk}/note", {"note": "changed"})
    assert late.status_code == 409 and "was sent" in late.content.decode()
    assert AuditEntry.objects.filter(action="brief.send", object_id=str(brief.pk)).count() == 1


def test_the_list_shows_past_briefs_newest_first(shift):
    crew = factories.user(roles=[LABELER])
    from apps.briefs import services

    older = services.create(shift.exp, shift.since - timedelta(hours=8), shift.since, crew, "Owl")
    newer = services.create(shift.exp, shift.since, shift.until, crew, "Day")
    html = Client().get("/briefs/", {"experiment": shift.exp.slug}).content.decode()
    assert html.index(f"/briefs/{newer.pk}/") < html.index(f"/briefs/{older.pk}/")
    assert "Day shift" in html and "Owl shift" in html and "shifts at 07:00, 15:00, 23:00" in html


def test_a_bad_period_on_the_page_is_a_400_with_the_reason(shift):
    client = client_for(LABELER)
    page = client.get("/briefs/new", {"since": "soon", "until": ""})
    assert page.status_code == 400 and "is not a date or date-time" in page.content.decode()
    assert Brief.objects.count() == 0


def test_viewers_and_visitors_read_but_cannot_write_or_send(shift):
    crew = factories.user(roles=[LABELER])
    from apps.briefs import services

    brief = services.create(shift.exp, shift.since, shift.until, crew)
    viewer = client_for(VIEWER)
    assert viewer.get(f"/briefs/{brief.pk}/").status_code == 200
    assert viewer.get("/briefs/new").status_code == 403
    assert viewer.post(f"/briefs/{brief.pk}/send").status_code == 403
    assert Client().post(f"/briefs/{brief.pk}/note", {"note": "x"}).status_code in (302, 403)
    brief.refresh_from_db()
    assert brief.status == "draft" and brief.note == "" and Delivery.objects.count() == 0


# --- API ---------------------------------------------------------------------------------------


def test_the_api_previews_without_keeping_then_writes_notes_and_sends_once(shift):
    client = api(LABELER)
    body = {"experiment": shift.exp.slug, "since": shift.since.isoformat(), "until": shift.until.isoformat()}
    preview = client.post("/api/v1/briefs/", {**body, "preview": True}, format="json")
    assert preview.status_code == 200 and preview.data["id"] is None
    assert preview.data["content"]["classified"]["bad"] == 3 and Brief.objects.count() == 0
    made = client.post("/api/v1/briefs/", {**body, "shift_name": "Owl"}, format="json")
    assert made.status_code == 201 and made.data["status"] == "draft"
    pk = made.data["id"]
    noted = client.patch(f"/api/v1/briefs/{pk}/", {"note": "Beam back 04:10"}, format="json")
    assert (
        noted.status_code == 200 and noted.data["note"] == "Beam back 04:10" and "Beam back 04:10" in noted.data["text"]
    )
    first = client.post(f"/api/v1/briefs/{pk}/send/")
    second = client.post(f"/api/v1/briefs/{pk}/send/")
    assert (first.data["sent_now"], second.data["sent_now"]) == (True, False)
    assert first.data["status"] == "sent" and Delivery.objects.count() == 2
    late = client.patch(f"/api/v1/briefs/{pk}/", {"note": "x"}, format="json")
    assert late.status_code == 409 and "was sent" in str(late.data)
    listed = api().get("/api/v1/briefs/", {"experiment": shift.exp.slug, "status": "sent"})
    assert [b["id"] for b in listed.data["results"]] == [pk] and "content" not in listed.data["results"][0]
    one = api().get(f"/api/v1/briefs/{pk}/")
    assert one.data["content"]["labels"]["total"] == 5


def test_the_api_explains_bad_input_and_refuses_viewers(shift):
    client = api(LABELER)
    bad = client.post(
        "/api/v1/briefs/",
        {"experiment": shift.exp.slug, "since": "2026-12-04T08:00", "until": "2026-12-04T07:00"},
        format="json",
    )
    assert bad.status_code == 400 and "must end after it starts" in str(bad.data)
    missing = client.post("/api/v1/briefs/", {"experiment": "nope", "since": "x"}, format="json")
    assert missing.status_code == 400
    assert {"experiment", "since", "until"} <= set(missing.data["error"]["details"])
    assert api().get("/api/v1/briefs/", {"status": "lost"}).status_code == 400
    refused = api(VIEWER).post(
        "/api/v1/briefs/",
        {"experiment": shift.exp.slug, "since": iso(shift.since), "until": iso(shift.until)},
        format="json",
    )
    assert refused.status_code == 403 and "Shift crew" in str(refused.data)
    assert Brief.objects.count() == 0
