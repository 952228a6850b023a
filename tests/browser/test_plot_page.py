"""In Chromium: step through runs with the arrow keys and label with a class's hotkey."""

import re

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import LABELER
from apps.labels.models import Label
from apps.plots.models import Plot
from tests import factories
from tests.browser import scene as demo
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_arrow_keys_step_to_the_previous_and_next_run(page):
    world = demo.build(runs=5)
    name = world.types[0].name
    middle = world.plots[(name, demo.FIRST_RUN + 2)]
    page.goto(f"/plots/{middle.pk}/")
    expect(page.locator("h1")).to_contain_text(f"Run {demo.FIRST_RUN + 2}")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("h1")).to_contain_text(f"Run {demo.FIRST_RUN + 1}")
    expect(page).to_have_url(re.compile(rf"/plots/{world.plots[(name, demo.FIRST_RUN + 1)].pk}/$"))
    page.keyboard.press("ArrowRight")
    expect(page.locator("h1")).to_contain_text(f"Run {demo.FIRST_RUN + 2}")
    page.keyboard.press("ArrowRight")
    expect(page.locator("h1")).to_contain_text(f"Run {demo.FIRST_RUN + 3}")


def test_the_image_zooms_on_click(page):
    world = demo.build(runs=2)
    page.goto(f"/plots/{world.plots[(world.types[0].name, demo.FIRST_RUN)].pk}/")
    page.click("#plot-image")
    expect(page.locator("#viewer")).to_have_class(re.compile("zoomed"))
    expect(page.locator("#zoom-value")).to_have_text("200 %")


def test_a_labeler_labels_the_plot_with_a_hotkey(page, browser_context, live_url):
    world = demo.build(runs=9)
    pt = world.types[0]
    user = factories.user("lena", roles=[LABELER])
    factories.labeling_grant(user, plot_type=pt)
    login(browser_context, live_url, user)
    plot = world.plots[(pt.name, demo.FIRST_RUN + 8)]  # a newest run: unlabeled
    page.goto(f"/plots/{plot.pk}/")
    expect(page.locator("#current-label")).to_contain_text("Unlabeled")
    page.keyboard.press("b")
    expect(page.locator("#current-label")).to_contain_text("Bad")
    expect(page.locator("#toasts")).to_contain_text("Labeled Bad")
    assert Plot.objects.get(pk=plot.pk).label_class.name == "Bad"
    assert Label.objects.filter(plot=plot, user=user, label_class__name="Bad").exists()

    page.keyboard.press("Delete")
    expect(page.locator("#current-label")).to_contain_text("Unlabeled")
    assert Plot.objects.get(pk=plot.pk).label_class is None


def test_the_label_hotkeys_still_work_after_a_click_on_a_checkbox_or_a_slider(page, browser_context, live_url):
    from django.conf import settings

    world = demo.build(runs=9)
    pt = world.types[0]
    user = factories.user("lena", roles=[LABELER])
    factories.labeling_grant(user, plot_type=pt)
    plot = world.plots[(pt.name, demo.FIRST_RUN + 8)]  # a newest run: unlabeled
    model = factories.classifier_model(pt, activate=True)
    (settings.MEDIA_ROOT / "gradcam").mkdir(exist_ok=True)
    (settings.MEDIA_ROOT / "gradcam" / "map.png").write_bytes(factories.png_bytes(8, 8))
    factories.classification(plot, model, verdict="Bad", gradcam="gradcam/map.png")
    login(browser_context, live_url, user)
    page.goto(f"/plots/{plot.pk}/")
    expect(page.locator("#current-label")).to_contain_text("Unlabeled")

    page.click("#gradcam-toggle")
    expect(page.locator("#gradcam-toggle")).to_be_checked()
    page.keyboard.press("b")
    expect(page.locator("#current-label")).to_contain_text("Bad")

    page.click("#zoom")
    page.keyboard.press("g")
    expect(page.locator("#current-label")).to_contain_text("Good")
    assert Plot.objects.get(pk=plot.pk).label_class.name == "Good"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_neighbouring_runs_strip_shows_the_current_run_whole(page, width):
    world = demo.build(runs=13)
    middle = world.plots[(world.types[0].name, demo.FIRST_RUN + 6)]
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/plots/{middle.pk}/")
    strip = page.locator("nav.strip")
    here = strip.locator('a[aria-current="true"]')
    expect(here).to_contain_text(str(demo.FIRST_RUN + 6))
    box, inner = strip.bounding_box(), here.bounding_box()
    assert page.evaluate("() => document.querySelector('nav.strip').scrollWidth") > box["width"]
    # The outline (3 px, 1 px off the tile) inside the strip's box too: nothing of the current run is clipped.
    assert box["x"] <= inner["x"] - 4 and inner["x"] + inner["width"] + 4 <= box["x"] + box["width"]
    assert box["y"] <= inner["y"] - 4
