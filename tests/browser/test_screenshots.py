"""Screenshots of the main pages at 1280x800, saved under docs/screenshots/ for the README and reviews."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.roles import DETECTOR_EXPERT
from apps.plots.models import Plot
from apps.wiki.models import Answer, DescriptionRevision, Question
from tests import factories
from tests.browser import scene as demo
from tests.browser.conftest import login, screenshot, wait_live

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def spread_ingest_times(hours: int = 22) -> None:
    """Ingest times across the last day, growing with the id as real ingest does."""
    ids = list(Plot.objects.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    for i, pk in enumerate(ids):
        Plot.objects.filter(pk=pk).update(ingested_at=now - timedelta(hours=hours * (1 - (i + 1) / len(ids)) ** 1.5))


def test_screenshots_of_the_main_pages(page, browser_context, live_url):
    world = demo.build(runs=12, with_banner=True)
    spread_ingest_times()
    cdc = world.types[0]
    expert = factories.user("maria", roles=[DETECTOR_EXPERT], first_name="Maria")
    factories.labeling_grant(expert, plot_group=world.groups["Tracking"])
    DescriptionRevision.objects.create(plot_type=cdc, text=cdc.description, summary="first version", author=expert)
    asker = factories.user("tom")
    question = Question.objects.create(
        plot_type=cdc, author=asker, text="Ring 12 looks dim in run 30405. Is that the known HV sector?"
    )
    Answer.objects.create(
        question=question, author=expert, text="Yes: sector 3 ran at reduced HV during that fill. Label it **Good**."
    )
    login(browser_context, live_url, expert)

    page.goto("/?experiment=gluex")
    wait_live(page)
    expect(page.locator("table.summary")).to_contain_text("GlueX")
    screenshot(page, "dashboard")

    page.goto("/plots/?experiment=gluex")
    wait_live(page)
    screenshot(page, "browser")
    page.goto("/plots/?experiment=gluex&view=list")
    wait_live(page)
    screenshot(page, "browser-list")

    tracking = world.groups["Tracking"].all_plot_types()
    shown = Plot.objects.filter(plot_type__in=tracking, campaign__name="online", run_number=demo.FIRST_RUN + 3)
    bad = shown.filter(label_class__meaning="bad").first() or shown.first()
    page.goto(f"/plots/{bad.pk}/")
    expect(page.locator("#plot-image")).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "plot")

    page.goto(f"/plot-types/{cdc.pk}/")
    screenshot(page, "plot-type")

    page.goto("/groups/?experiment=gluex")
    screenshot(page, "groups")

    page.goto(f"/labeler/?plot_type={cdc.pk}")
    wait_live(page)
    tiles = page.locator(".tile")
    page.keyboard.press("b")
    tiles.nth(1).click()
    tiles.nth(2).click(modifiers=["Shift"])
    page.keyboard.press("g")
    tiles.nth(4).click()
    page.mouse.move(0, 0)
    screenshot(page, "labeler")
