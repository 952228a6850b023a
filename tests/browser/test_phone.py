"""At 390 px wide (a phone) every main page fits the screen and every section is in reach."""

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import ADMIN
from tests import factories
from tests.browser import scene as demo
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(chromium, live_url):
    context = chromium.new_context(viewport=PHONE, base_url=live_url, device_scale_factor=1)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def main_pages(world):
    pt = world.types[0]
    plot = world.plots[(pt.name, demo.FIRST_RUN + 2)]
    model = factories.classifier_model(pt, activate=True)
    factories.classification(plot, model, "Bad")
    return [
        "/",
        "/plots/",
        "/plots/?view=list",
        f"/plots/{plot.pk}/",
        "/groups/",
        f"/plot-types/{pt.pk}/",
        "/labeler/",
        f"/labeler/?plot_type={pt.pk}",
        "/runtime/",
        "/monitoring/log/",
        "/models/",
        f"/models/type/{pt.pk}/",
        f"/models/{model.pk}/",
        "/validation/",
        "/validation/explore/",
        "/validation/different/",
        "/account/",
        "/people/",
        "/alarms/",
        "/alarms/rules/",
        "/alarms/rules/new",
    ]


def test_no_main_page_scrolls_sideways_and_every_section_is_in_the_navigation(phone, live_url):
    world = demo.build(runs=6, with_banner=True)
    pages = main_pages(world)
    login(phone, live_url, factories.user("root", roles=[ADMIN]))
    page = phone.new_page()
    wide = {}
    for path in pages:
        response = page.goto(path)
        assert response.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = width
        for name in ("Models", "Validation", "Runtime", "Labeler", "Alarms"):
            link = page.locator(".mainnav a", has_text=name)
            expect(link).to_be_visible()
            box = link.bounding_box()
            assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], (path, name, box)
    assert not wide, f"pages wider than the phone: {wide}"


def test_the_labeler_keeps_palette_and_apply_on_screen_below_its_tiles(phone, live_url):
    world = demo.build(runs=12)
    pt = world.types[0]
    user = factories.user("lena", roles=["Labeler"])
    factories.labeling_grant(user, plot_type=pt)
    login(phone, live_url, user)
    page = phone.new_page()
    page.goto(f"/labeler/?plot_type={pt.pk}")
    first_tile = page.locator(".tile").first
    assert first_tile.bounding_box()["y"] < PHONE["height"] * 0.7
    page.mouse.wheel(0, 600)
    first_tile.click()
    apply = page.locator("#apply")
    expect(apply).to_have_text("Apply 1 label")
    box = apply.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
