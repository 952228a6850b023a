"""In Chromium: the shift crew acknowledges an alarm from its page and writes the brief's note for the next shift."""

import re

import pytest
from playwright.sync_api import expect

from apps.alerts.choices import State
from apps.alerts.models import Alarm
from apps.audit.models import AuditEntry
from apps.briefs import services as briefs
from apps.briefs.models import Brief
from tests import factories
from tests.briefs import scene
from tests.browser.conftest import login, screenshot, wait_live

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shift(settings):
    settings.LOGBOOK_URL = "http://127.0.0.1:9/{logbook}"
    factories.restore_roles()
    return scene.build()


def test_the_crew_acknowledges_the_flicker_alarm_on_its_page(page, browser_context, live_url, shift, shift_crew):
    crew = shift_crew  # made after the scene restored the roles
    login(browser_context, live_url, crew)
    page.goto(f"/alarms/?experiment={shift.exp.slug}")
    wait_live(page)
    listed = page.locator("#al-list")
    expect(listed).to_contain_text("FCAL_hits")
    expect(listed).to_contain_text("CDC_occupancy")
    # Firing first, then acknowledged, then resolved.
    states = page.locator("#al-list .al-row").evaluate_all("rows => rows.map(r => r.dataset.alarm)")
    assert states == [str(shift.alarms["flicker"].pk), str(shift.alarms["bad"].pk), states[2]] and len(states) == 3
    screenshot(page, "alarms")

    flicker = shift.alarms["flicker"]
    page.goto(f"/alarms/{flicker.pk}/")
    expect(page.locator("h1")).to_contain_text("Firing")
    expect(page.locator(".al-expert")).to_have_text("Ann Lee <ann@lab.example>")
    page.get_by_label("Comment").fill("Flicker known: HV ramp on FCAL, Ann informed")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("h1")).to_contain_text("Acknowledged")
    expect(page.locator("dl.dl")).to_contain_text("by night-shift")
    expect(page.locator("dl.dl")).to_contain_text("Flicker known: HV ramp on FCAL, Ann informed")
    screenshot(page, "alarm")
    flicker.refresh_from_db()
    assert flicker.state == State.ACKNOWLEDGED and flicker.acknowledged_by == crew
    assert AuditEntry.objects.filter(action="alarm.acknowledge", object_id=str(flicker.pk)).exists()
    assert Alarm.objects.filter(experiment=shift.exp, state=State.FIRING).count() == 0


def test_the_crew_writes_the_note_for_the_next_shift_on_the_brief(page, browser_context, live_url, shift, shift_crew):
    brief = briefs.create(shift.exp, shift.since, shift.until, shift_name="Owl")
    crew = shift_crew
    login(browser_context, live_url, crew)
    page.goto(f"/briefs/{brief.pk}/")
    expect(page.locator("main")).to_contain_text("HV trip, called Ann")
    note = "Beam back at 04:10; call Ann about CDC ring 12 at 08:00."
    page.get_by_label("What the next shift should know").fill(note)
    page.get_by_role("button", name="Save note").click()
    expect(page).to_have_url(re.compile(rf"/briefs/{brief.pk}/$"))
    expect(page.get_by_label("What the next shift should know")).to_have_value(note)
    page.set_viewport_size({"width": 1280, "height": 1100})
    screenshot(page, "brief")
    brief = Brief.objects.get(pk=brief.pk)
    assert brief.note == note and brief.status != "sent"
