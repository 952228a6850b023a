"""In Chromium: a page whose websocket dropped fetches, once it is back, what happened meanwhile.

Events published while a socket is down are never replayed. Here nothing is published at all (the
plots are stored without an event), so what the page shows after the reconnect comes from its re-sync.
"""

import re
import time

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser import scene as demo
from tests.browser.conftest import login, wait_live

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Outage:
    """Routes the page's websocket through Playwright, so that a test can hold reconnects off."""

    def __init__(self, page):
        self.page = page
        self.down = False
        self.held = []
        page.route_web_socket(re.compile(r"/ws/events/"), self._route)

    def _route(self, ws):
        if self.down:
            self.held.append(ws)  # never reaches the server
        else:
            ws.connect_to_server()

    def begin(self):
        """Drop the page's socket (a clean close, which the page answers by reconnecting) and hold it down."""
        self.down = True
        self.page.evaluate("() => Hydra.live.socket.close()")
        deadline = time.monotonic() + 10
        while not self.held:
            assert time.monotonic() < deadline, "the page did not try to reconnect within 10 s"
            self.page.wait_for_timeout(50)

    def end(self):
        """Let the next attempt through and end the held one, so that the page reconnects for real."""
        self.down = False
        for ws in self.held:
            ws.close()
        self.held = []


def opened(page) -> int:
    return page.evaluate("() => Hydra.live.opened")


def test_a_plot_stored_while_the_browser_was_disconnected_appears_after_the_reconnect(page):
    world = demo.build(runs=3)
    cdc = world.types[0]
    outage = Outage(page)
    page.goto(f"/plots/?experiment=gluex&plot_type={cdc.pk}")
    wait_live(page)
    before = page.locator(".plot-card").count()

    outage.begin()
    run = factories.run(world.exp, 39990, period="RunPeriod-2023-08")
    online = world.plots[(cdc.name, world.runs[0].number)].campaign
    plot = demo.store_plot(cdc, run, online, demo.image(0, 39990)[0])
    other = demo.store_plot(world.types[2], run, online, demo.image(2, 39990)[0])
    page.wait_for_timeout(300)
    expect(page.locator(f'.plot-card[data-plot="{plot.pk}"]')).to_have_count(0)
    reconnects = opened(page)
    outage.end()

    card = page.locator(f'.plot-card[data-plot="{plot.pk}"]')
    expect(card).to_be_visible()
    assert opened(page) > reconnects
    expect(page.locator("#live-status")).to_have_attribute("data-state", "open")
    expect(page.locator("#new-pill")).to_have_text(re.compile(r"^1 new plot\b"))
    # Only the plot that matches the filters came in, at the top.
    expect(page.locator(".plot-card")).to_have_count(before + 1)
    expect(page.locator(f'.plot-card[data-plot="{other.pk}"]')).to_have_count(0)
    assert page.locator(".plot-card").first.get_attribute("data-plot") == str(plot.pk)


def test_a_runtime_card_changed_while_the_browser_was_disconnected_is_fresh_after_the_reconnect(page):
    world = demo.build(runs=3)
    pt = world.types[1]
    outage = Outage(page)
    page.goto("/runtime/?experiment=gluex")
    wait_live(page)
    card = page.locator(f"#rt-{pt.pk}")
    expect(card).to_contain_text(f"Run {world.runs[-1].number}")

    outage.begin()
    run = factories.run(world.exp, 39991, period="RunPeriod-2023-08")
    online = world.plots[(pt.name, world.runs[0].number)].campaign
    demo.store_plot(pt, run, online, demo.image(1, 39991)[0])
    page.wait_for_timeout(300)
    expect(card).not_to_contain_text("39991")
    outage.end()

    expect(card).to_contain_text("Run 39991")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "open")
    # The other cards had nothing new and were left as they were.
    expect(page.locator(f"#rt-{world.types[0].pk}")).to_contain_text(f"Run {world.runs[-1].number}")


def test_a_label_saved_by_someone_else_while_the_browser_was_disconnected_shows_after_the_reconnect(
    page, browser_context, live_url
):
    from apps.accounts.roles import LABELER
    from apps.labels.services import apply_labels
    from apps.plots.models import Plot

    world = demo.build(runs=6)
    pt = world.types[0]
    lena = factories.user("lena", roles=[LABELER])
    factories.labeling_grant(lena, plot_group=world.groups["Tracking"])
    login(browser_context, live_url, lena)
    outage = Outage(page)
    page.goto(f"/labeler/?plot_type={pt.pk}")
    wait_live(page)
    target = int(page.locator(".tile").nth(1).get_attribute("data-plot"))
    tile = page.locator(f'.tile[data-plot="{target}"]')

    outage.begin()
    # Published to a page that is not listening: the event is lost, as it would be in a real outage.
    apply_labels(
        [(Plot.objects.select_related("plot_type").get(pk=target), world.classes["HotChannel"])],
        user=factories.user("bob"),
    )
    page.wait_for_timeout(300)
    expect(tile.locator(".state")).not_to_have_text("HotChannel")
    outage.end()

    expect(tile.locator(".state")).to_have_text("HotChannel")
    expect(tile).to_have_attribute("data-saved", "HotChannel")


def test_validation_jobs_that_moved_while_the_browser_was_disconnected_are_current_after_the_reconnect(
    page, browser_context, live_url
):
    from apps.jobs.models import Job

    demo.build(runs=2)
    login(browser_context, live_url, factories.user("vera", is_staff=True))
    running = Job.objects.create(kind="validation.map", title="Map of CDC", status="running", progress=0.2)
    outage = Outage(page)
    page.goto("/validation/")
    wait_live(page)
    row = page.locator(f'#validation-jobs [data-job="{running.pk}"]')
    expect(row.locator(".job-status")).to_have_text(re.compile("running", re.I))

    outage.begin()
    # Stored without a push: what the page shows next comes from its re-sync.
    Job.objects.filter(pk=running.pk).update(status="done", progress=1.0, message="map ready")
    later = Job.objects.create(kind="validation.report", title="Report on run 30400")
    page.wait_for_timeout(300)
    outage.end()

    expect(row.locator(".job-status")).to_have_text("done")
    expect(row.locator(".job-message")).to_have_text("map ready")
    expect(page.locator("#validation-jobs li").first).to_have_attribute("data-job", str(later.pk))


def test_a_lost_event_is_noticed_by_the_next_ones_number_and_the_page_re_syncs(page):
    from apps.core import events

    world = demo.build(runs=3)
    cdc = world.types[0]
    page.goto(f"/plots/?experiment=gluex&plot_type={cdc.pk}")
    wait_live(page)
    shown = int(page.locator(".plot-card").first.get_attribute("data-plot"))
    events.publish("plots", "plots.created", {"ids": [shown]})  # the page's first number from this process
    page.wait_for_timeout(300)
    run = factories.run(world.exp, 39992, period="RunPeriod-2023-08")
    online = world.plots[(cdc.name, world.runs[0].number)].campaign
    missed = demo.store_plot(cdc, run, online, demo.image(0, 39992)[0])
    events._stamp("plots")  # its event was numbered and then lost (a full channel drops it)
    assert page.locator(f'.plot-card[data-plot="{missed.pk}"]').count() == 0

    events.publish("plots", "plots.created", {"ids": [shown]})  # says nothing new, but skips a number

    expect(page.locator(f'.plot-card[data-plot="{missed.pk}"]')).to_be_visible()
    assert page.evaluate("() => Hydra.live.opened") == 1  # the same socket: no reconnect was needed


def test_the_log_offers_a_reload_after_a_reconnect_only_when_verdicts_came_in_meanwhile(page):
    world = demo.build(runs=3)
    cdc = world.types[0]
    model = factories.classifier_model(cdc)
    factories.classification(world.plots[(cdc.name, world.runs[0].number)], model, "Bad", 0.9)
    outage = Outage(page)
    page.goto("/monitoring/log/?experiment=gluex")
    wait_live(page)
    hint = page.locator("#log-new")

    outage.begin()
    outage.end()
    deadline = time.monotonic() + 10
    while opened(page) < 2:
        assert time.monotonic() < deadline, "the page did not reconnect within 10 s"
        page.wait_for_timeout(50)
    page.wait_for_timeout(500)  # its re-sync found nothing new
    expect(hint).to_be_hidden()

    outage.begin()
    factories.classification(world.plots[(cdc.name, world.runs[1].number)], model, "Bad", 0.9)
    outage.end()
    expect(hint).to_be_visible()
