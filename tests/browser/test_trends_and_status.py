"""In Chromium: the trends canvas draws the series, hovers and opens plots; the status page follows pushes."""

import re

import pytest
from playwright.sync_api import expect

from apps.core.events import publish
from apps.jobs.models import Job
from tests.browser.conftest import screenshot, wait_live
from tests.operations.conftest import followed  # noqa: F401  (the fixture: a plot type over runs 100–105)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def point_at(page, run: int) -> tuple[float, float]:
    """Page coordinates of the point of ``run`` on the trend canvas."""
    x, y = page.evaluate(
        """(run) => { const t = window.HydraTrend, i = t.data.points.run.indexOf(run);
        return [t.px(t.xs[i]), t.py(t.ys[i])]; }""",
        run,
    )
    canvas = page.locator("#trend-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    return box["x"] + x, box["y"] + y


def test_a_plot_types_trend_hovers_a_point_and_opens_its_plot_on_click(page, followed):  # noqa: F811
    page.goto(f"/trends/type/{followed.plot_type.pk}/")
    page.wait_for_selector("#trend[data-state='ready']")
    expect(page.locator("#trend-summary")).to_have_text("6 plots")
    assert page.evaluate("window.HydraTrend.n") == 6
    expect(page.locator("#trend-legend")).to_contain_text("Bad threshold of the model")
    expect(page.locator("#trend-legend")).to_contain_text("model activated")
    expect(page.locator("#trend-legend")).to_contain_text("current labels")
    screenshot(page, "trends")
    x, y = point_at(page, 103)
    page.mouse.move(x, y)
    tip = page.locator("#trend-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("Run 103")
    expect(tip).to_contain_text("Verdict Bad")
    expect(tip).to_contain_text("Bad confidence 0.9500")
    x, y = point_at(page, 101)
    page.mouse.move(x, y)
    expect(tip).to_contain_text("Label Good")
    page.mouse.click(x, y)
    expect(page).to_have_url(re.compile(rf"/plots/{followed.plots[101].pk}/$"))


def test_a_groups_trend_opens_the_runs_bad_plots_in_the_browser(page, followed):  # noqa: F811
    page.goto(f"/trends/group/{followed.group.pk}/")
    page.wait_for_selector("#trend[data-state='ready']")
    x, y = point_at(page, 104)
    page.mouse.move(x, y)
    expect(page.locator("#trend-tip")).to_contain_text("Bad 2 of 2")
    page.mouse.click(x, y)
    expect(page).to_have_url(re.compile(rf"/plots/\?.*group={followed.group.pk}.*run=104"))


def test_the_trends_page_fits_a_phone(browser_context, followed):  # noqa: F811
    page = browser_context.new_page()
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"/trends/type/{followed.plot_type.pk}/")
    page.wait_for_selector("#trend[data-state='ready']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#trend-canvas").bounding_box()["width"] <= 390


def a_year_of_work() -> None:
    """Daily tallies for a year and a day of timed batches, as the pipeline leaves them."""
    import datetime as dt
    import random

    from django.utils import timezone

    from apps.core.timing import record
    from apps.operations.models import DailyTally

    rng = random.Random(4)
    today = timezone.localdate()
    DailyTally.objects.bulk_create(
        DailyTally(day=today - dt.timedelta(days=d), kind="classified", count=rng.choice([0, 900, 4000, 9000, 15000]))
        for d in range(1, 330)
    )
    for _ in range(30):
        record("ingest", rng.uniform(0.5, 2.0), 64)
        record("classification", rng.uniform(4, 9), 64)
        record("gradcam", rng.uniform(2, 4), 64)
        record("push", rng.uniform(0.01, 0.05), 64)


def test_the_status_page_redraws_its_panel_when_a_job_event_arrives(page, followed):  # noqa: F811
    a_year_of_work()
    page.goto("/status/")
    wait_live(page)
    expect(page.locator('[data-figure="queued"]')).to_have_text("0")
    Job.objects.create(kind="classify", actor="classify_plots")
    publish("jobs", "jobs.update", {"id": 0, "status": "queued"})
    expect(page.locator('[data-figure="queued"]')).to_have_text("1")
    expect(page.locator('[data-figure="outbox"]')).to_have_text("1")
    expect(page.locator('tr[data-experiment="gluex-trend"] td.age')).to_have_text(re.compile(r"^\d+ s$"))
    expect(page.locator('tr[data-stage="classification"] td').nth(2)).to_have_text("1920")
    page.set_viewport_size({"width": 1280, "height": 1100})
    screenshot(page, "status")
