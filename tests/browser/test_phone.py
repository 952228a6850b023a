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


@pytest.mark.parametrize("width", [1000, 1280, 1440])
def test_the_top_bar_keeps_every_link_and_the_experiment_switcher_on_screen_at_laptop_widths(chromium, live_url, width):
    world = demo.build(runs=4)
    factories.experiment("CLAS12 Run Group A, spring")  # a long name in the switcher
    context = chromium.new_context(viewport={"width": width, "height": 800}, base_url=live_url)
    login(context, live_url, factories.user("root", roles=[ADMIN]))
    page = context.new_page()
    for path in ("/alarms/", f"/labeler/?plot_type={world.types[0].pk}", "/people/"):
        assert page.goto(path).status == 200, path
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
        for selector in (".mainnav a >> text=Validation", "#exp-switch", ".who >> text=Admin", ".who >> text=Log out"):
            box = page.locator(selector).first.bounding_box()
            assert box and 0 <= box["x"] and box["x"] + box["width"] <= width, (path, selector, box)
        assert page.locator("#exp-switch").bounding_box()["width"] >= 80, path
        # "Log out" on one line.
        assert page.locator(".who >> text=Log out").bounding_box()["height"] < 30, path
    context.close()
