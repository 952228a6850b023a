"""In Chromium: paint a range with shift-click, apply, and see someone else's labels arrive live."""

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import LABELER
from apps.labels.models import Label
from apps.labels.services import apply_labels
from apps.plots.models import Plot
from tests import factories
from tests.browser import scene as demo
from tests.browser.conftest import login, wait_live

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def labeler(world):
    user = factories.user("lena", roles=[LABELER])
    factories.labeling_grant(user, plot_group=world.groups["Tracking"])
    return user


def test_shift_click_paints_a_range_and_apply_stores_the_labels(page, browser_context, live_url):
    world = demo.build(runs=12)
    pt = world.types[0]
    user = labeler(world)
    login(browser_context, live_url, user)
    page.goto(f"/labeler/?plot_type={pt.pk}")
    tiles = page.locator(".tile")
    unlabeled = 12 - demo.LABELED_RUNS + 2  # the newest online runs, and two older runs of the second campaign
    expect(tiles).to_have_count(unlabeled)
    expect(page.locator("#remaining")).to_have_text(str(unlabeled))

    page.keyboard.press("b")  # brush: Bad
    tiles.nth(0).click()
    tiles.nth(3).click(modifiers=["Shift"])
    expect(page.locator(".tile.pending")).to_have_count(4)
    page.click('#palette button:has-text("Good")')
    tiles.nth(4).click()
    expect(page.locator("#apply")).to_have_text("Apply 5 labels")

    page.click("#apply")
    expect(page.locator("#toasts")).to_contain_text("Saved 5 labels")
    expect(page.locator("#remaining")).to_have_text(str(unlabeled - 5))
    ids = [int(tiles.nth(i).get_attribute("data-plot")) for i in range(5)]
    classes = dict(Plot.objects.filter(pk__in=ids).values_list("pk", "label_class__name"))
    assert [classes[i] for i in ids] == ["Bad", "Bad", "Bad", "Bad", "Good"]
    assert Label.objects.filter(user=user).count() == 5


def test_keyboard_only_labeling_with_hotkeys(page, browser_context, live_url):
    world = demo.build(runs=10)
    pt = world.types[1]
    login(browser_context, live_url, labeler(world))
    page.goto(f"/labeler/?plot_type={pt.pk}")
    page.locator(".tile").first.focus()
    page.keyboard.press("g")  # paints the focused plot Good and moves on
    page.keyboard.press("n")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#toasts")).to_contain_text("Saved 2 labels")
    first, second = (int(page.locator(".tile").nth(i).get_attribute("data-plot")) for i in range(2))
    assert Plot.objects.get(pk=first).label_class.name == "Good"
    assert Plot.objects.get(pk=second).label_class.name == "NoData"


def test_a_labeler_without_a_grant_cannot_save(page, browser_context, live_url):
    world = demo.build(runs=9)
    login(browser_context, live_url, labeler(world))
    calorimeter = next(t for t in world.types if t.detector == "FCAL")
    page.goto(f"/labeler/?plot_type={calorimeter.pk}")
    page.locator(".tile").first.click()
    expect(page.locator("#apply")).to_be_disabled()
    expect(page.locator(".apply-bar")).to_contain_text("may not save labels")


def test_labels_saved_by_someone_else_appear_live(page, browser_context, live_url):
    world = demo.build(runs=10)
    pt = world.types[0]
    login(browser_context, live_url, labeler(world))
    page.goto(f"/labeler/?plot_type={pt.pk}")
    wait_live(page)
    target = int(page.locator(".tile").nth(1).get_attribute("data-plot"))
    bob = factories.user("bob")
    apply_labels([(Plot.objects.select_related("plot_type").get(pk=target), world.classes["HotChannel"])], user=bob)
    tile = page.locator(f'.tile[data-plot="{target}"]')
    expect(tile.locator(".by")).to_have_text("bob")
    expect(tile.locator(".state")).to_have_text("HotChannel")
