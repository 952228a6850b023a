"""In Chromium: filtering and sorting write the URL and the back button restores; new plots arrive live."""

import re

import pytest
from playwright.sync_api import expect

from apps.plots.ingest import Ingestor, Source
from apps.plots.layout import PlotRef
from tests.browser import scene as demo
from tests.browser.conftest import wait_live

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_filtering_and_sorting_change_the_url_and_back_restores_them(page):
    world = demo.build(runs=4)
    cdc = world.types[0]
    page.goto("/plots/?experiment=gluex")
    expect(page.locator(".plot-card")).to_have_count(4 * len(world.types) + 2 * len(world.types))

    page.select_option("#f-plot-type", str(cdc.pk))
    expect(page).to_have_url(re.compile(rf"plot_type={cdc.pk}"))
    expect(page.locator(".plot-card")).to_have_count(6)
    assert "run_min" not in page.url  # empty filters stay out of the URL

    page.select_option("#f-sort", "run")
    expect(page).to_have_url(re.compile(r"sort=run(&|$)"))
    runs = [int(t.split()[1]) for t in page.locator(".plot-card .meta > span:first-child").all_inner_texts()]
    assert runs == sorted(runs)

    page.fill("#f-run-min", str(demo.FIRST_RUN + 2))
    page.press("#f-run-min", "Enter")
    expect(page).to_have_url(re.compile(rf"run_min={demo.FIRST_RUN + 2}"))
    expect(page.locator(".plot-card")).to_have_count(4)

    page.go_back()
    expect(page).not_to_have_url(re.compile("run_min"))
    expect(page.locator("#f-sort")).to_have_value("run")
    page.go_back()
    expect(page).not_to_have_url(re.compile("sort="))
    expect(page.locator("#f-sort")).to_have_value("-run")
    expect(page.locator("#f-plot-type")).to_have_value(str(cdc.pk))
    page.go_back()
    expect(page.locator("#f-plot-type")).to_have_value("")

    page.click("text=List")
    expect(page).to_have_url(re.compile("view=list"))
    expect(page.locator("table.list-table tbody tr")).to_have_count(4 * len(world.types) + 2 * len(world.types))


def test_the_keyboard_moves_through_plots_and_pages(page):
    world = demo.build(runs=4)
    page.goto(f"/plots/?experiment=gluex&plot_type={world.types[1].pk}&size=24")
    page.keyboard.press("ArrowRight")
    expect(page.locator(".plot-card a.cover").first).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator(".plot-card a.cover").nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/plots/\d+/$"))


def test_a_plot_ingested_while_the_page_is_open_appears_without_reload(page):
    world = demo.build(runs=3)
    cdc = world.types[0]
    page.goto(f"/plots/?experiment=gluex&plot_type={cdc.pk}")
    wait_live(page)
    before = page.locator(".plot-card").count()

    data, _ = demo.image(0, 39999)
    with Ingestor(world.exp, workers=1) as ingestor:
        report = ingestor.ingest(
            [
                Source(
                    name="RunPeriod-2023-08/Run039999/CDC_straw_occupancy.png",
                    ref=PlotRef(plot_type=cdc.name, run=39999, run_period="RunPeriod-2023-08", chunk=0, campaign=None),
                    data=data,
                ),
                Source(
                    name="RunPeriod-2023-08/Run039999/FCAL_occupancy.png",
                    ref=PlotRef(
                        plot_type=world.types[2].name, run=39999, run_period="RunPeriod-2023-08", chunk=0, campaign=None
                    ),
                    data=demo.image(2, 39999)[0],
                ),
            ]
        )
    new = [o.plot for o in report.outcomes if o.status == "new"]
    assert len(new) == 2
    cdc_plot = next(p for p in new if p.plot_type_id == cdc.pk)
    card = page.locator(f'.plot-card[data-plot="{cdc_plot.pk}"]')
    expect(card).to_be_visible()
    expect(card).to_contain_text("new")
    expect(page.locator("#new-pill")).to_have_text(re.compile(r"^1 new plot\b"))
    # Only the plot that matches the filters came in.
    expect(page.locator(".plot-card")).to_have_count(before + 1)
    assert page.locator(".plot-card").first.get_attribute("data-plot") == str(cdc_plot.pk)
