"""Hostile text everywhere: markup, event handlers and javascript: URLs in every name and free-text field.

Every page that shows them is loaded in Chromium. A page fails when a dialog opens (the payloads call
alert), when the Content-Security-Policy header is missing or reports a violation, or when its DOM
holds an event-handler attribute, a javascript: URL or an inline script.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from apps.core.models import Announcement
from apps.experiments.models import Campaign
from apps.jobs.models import Job
from apps.labels.models import LabelClass
from apps.plots.ingest import Ingestor, Source
from apps.plots.layout import PlotRef
from apps.wiki.models import Answer, DescriptionRevision, Question
from tests import factories
from tests.browser import scene as demo
from tests.browser.conftest import login, wait_live

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
JS_URL = "javascript:alert(3)"
MARKDOWN = (
    "**What to look for** <script>alert(4)</script> <img src=x onerror=alert(5)>\n\n"
    '[a link](javascript:alert(6)) <a href="javascript:alert(7)">raw link</a> '
    '<iframe src="javascript:alert(8)"></iframe> <svg onload=alert(9)></svg>'
)
RUNS = (30400, 30401, 30402, 30403)

# Everything on a page that could run: event handlers, javascript: links and sources, inline scripts
# (JSON data excepted). A form field's value may well read "javascript:..." and stays harmless text.
DOM_CHECK = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on")) found.push(`${el.tagName} ${attr.name}="${attr.value}"`);
      const url = ["href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"].includes(attr.name);
      if (url && /^\\s*javascript:/i.test(attr.value)) found.push(`${el.tagName} ${attr.name}="${attr.value}"`);
    }
    if (el.tagName === "SCRIPT" && !el.src && el.type !== "application/json") found.push("inline <script>");
  }
  return found;
}"""


def build_world() -> SimpleNamespace:
    from apps.labels.services import apply_labels

    factories.restore_roles()
    factories.grant_monitoring_roles()
    exp = factories.experiment(f"GlueX {SCRIPT}", description=MARKDOWN)
    hostile_class = LabelClass.objects.create(experiment=exp, name=IMG, colour="#7048e8", hotkey="x", meaning="other")
    online = factories.campaign(exp, f"online {IMG}", description=MARKDOWN)
    reference = factories.campaign(exp, f"reference {SCRIPT}", is_reference=True)
    types = [
        factories.plot_type(
            exp, f"{name} {IMG}", detector=f"{detector}{SCRIPT}", description=MARKDOWN, expert_contact=f"{JS_URL} {IMG}"
        )
        for name, detector in (("CDC_occupancy", "CDC"), ("FCAL_occupancy", "FCAL"))
    ]
    group = factories.plot_group(exp, f"Calorimeters {SCRIPT}", types=types, description=IMG)
    factories.plot_group(exp, f"Hall D {IMG}").plot_types.add(types[0])
    group.parents.add(factories.plot_group(exp, f"Super {IMG}"))
    plots = {}
    for number in RUNS:
        run = factories.run(exp, number, period=f"RunPeriod {IMG}")
        for t, pt in enumerate(types):
            data = demo.image(t, number)[0]
            for camp in (online, reference):
                plots[(t, number, camp.pk)] = factories.plot_from_png(
                    pt, data, run, camp, thumbnail_width=160, original_path=f"zips/{IMG}/{SCRIPT}_{number}.png"
                )
    expert = factories.user("expert", first_name=IMG, last_name=SCRIPT, roles=["Detector expert"])
    first = [p for (t, _, c), p in plots.items() if t == 0 and c == online.pk]
    apply_labels(
        [(first[0], hostile_class), (first[1], factories.label_class(exp, "Good"))], user=expert, comment=SCRIPT
    )
    for pt in types:
        pt.reference_plot = plots[(types.index(pt), RUNS[1], reference.pk)]
        pt.save(update_fields=["reference_plot"])
    Announcement.objects.create(message=f"Maintenance {SCRIPT} {IMG} {JS_URL}")
    DescriptionRevision.objects.create(plot_type=types[0], text=MARKDOWN, summary=IMG, author=expert)
    question = Question.objects.create(plot_type=types[0], text=MARKDOWN, author=expert)
    Answer.objects.create(question=question, text=MARKDOWN, author=expert)
    Job.objects.create(kind="validation.map", title=f"Map {IMG}", message=SCRIPT, status="failed")

    model = factories.classifier_model(types[0], classes=("Bad", IMG), activate=True, input_shape=(32, 32, 1))
    for i, plot in enumerate(first):
        factories.classification(plot, model, verdict=IMG if i % 2 else "Bad", confidence=0.6, confirmed=False)

    from apps.validation import embedding_maps, reports

    space = embedding_maps.compute(types[0], "pixels")
    report = reports.compute(factories.validation_report(online, reference))
    admin = factories.user("root", is_superuser=True, is_staff=True)
    factories.api_token(admin, name=IMG)
    return SimpleNamespace(
        exp=exp,
        types=types,
        group=group,
        plots=plots,
        first=first,
        model=model,
        space=space,
        report=report,
        admin=admin,
        online=online,
    )


def portal_pages(world) -> list[str]:
    pt, plot = world.types[0], world.first[0]
    return [
        "/",
        "/plots/",
        "/plots/?view=list",
        f"/plots/{plot.pk}/",
        f"/plots/{world.first[1].pk}/",
        f"/labeler/?plot_type={pt.pk}",
        f"/labeler/?plot_type={pt.pk}&mode=editor",
        "/groups/",
        f"/plot-types/{pt.pk}/",
        f"/plot-types/{pt.pk}/edit/",
        "/runtime/",
        "/monitoring/log/",
        "/models/",
        f"/models/type/{pt.pk}/",
        f"/models/{world.model.pk}/",
        "/validation/",
        f"/validation/reports/{world.report.pk}/",
        f"/validation/explore/?plot_type={pt.pk}&colour=campaign",
        f"/validation/different/?plot_type={pt.pk}",
        f"/validation/compare/{plot.pk}/",
        "/validation/simulate/",
        "/people/",
        "/account/",
        "/api/v1/plots/",  # the browsable API
        "/api/v1/plot-types/",
    ]


def admin_pages() -> list[str]:
    from django.contrib import admin
    from django.urls import reverse

    urls = []
    for model in admin.site._registry:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]))
    return sorted(urls)


class Watch:
    """What a page did that it must not: dialogs, CSP violations reported on the console."""

    def __init__(self, page):
        self.dialogs: list[str] = []
        self.violations: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", self._console)

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message):
        if "Content Security Policy" in message.text:
            self.violations.append(message.text[:300])


def check(page, watch, url: str) -> list[str]:
    """Load ``url`` and return what is wrong with it (nothing, for a page that passes)."""
    dialogs, violations = len(watch.dialogs), len(watch.violations)
    response = page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(150)  # late images (onerror) and deferred scripts
    problems = []
    if response is None or response.status >= 400:
        problems.append(f"answered {response.status if response else 'nothing'}")
    elif "content-security-policy" not in response.headers:
        problems.append("no Content-Security-Policy header")
    problems += page.evaluate(DOM_CHECK)
    problems += watch.dialogs[dialogs:] + watch.violations[violations:]
    return [f"{url}: {p}" for p in problems]


def test_hostile_names_and_texts_stay_text_on_every_page_and_in_the_admin(page, browser_context, live_url):
    world = build_world()
    login(browser_context, live_url, world.admin)
    watch = Watch(page)
    problems = []
    for url in portal_pages(world):
        problems += check(page, watch, url)
        if url.startswith("/api/"):
            continue
        # The banner is on every portal page: the payloads show as the text they are.
        assert f"Maintenance {SCRIPT} {IMG}" in page.locator(".banner").inner_text(), url
    for url in admin_pages():
        problems += check(page, watch, url)
    assert not problems, "\n".join(problems)


def test_the_explore_map_shows_hostile_names_on_hover_as_text(page, browser_context, live_url):
    world = build_world()
    login(browser_context, live_url, world.admin)
    watch = Watch(page)
    page.goto(f"/validation/explore/?plot_type={world.types[0].pk}&colour=campaign")
    expect(page.locator("#map-loading")).to_be_hidden()
    expect(page.locator("#legend")).to_contain_text(f"online {IMG}")
    box = page.locator("#map").bounding_box()
    tip = page.locator("#map-tip")
    for y in range(4, int(box["height"]), 6):
        for x in range(4, int(box["width"]), 6):
            page.mouse.move(box["x"] + x, box["y"] + y)
            if tip.is_visible():
                break
        if tip.is_visible():
            break
    expect(tip).to_be_visible()
    expect(page.locator("#tip-text")).to_contain_text(f"online {IMG}")
    assert page.locator("#tip-text img, #legend img").count() == 0
    # Legend colours are set through the CSSOM, which the CSP's style rules leave alone.
    swatch = page.locator("#legend .swatch").first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert swatch not in ("", "rgba(0, 0, 0, 0)", "transparent"), swatch
    assert not watch.dialogs and not watch.violations, watch.dialogs + watch.violations


def test_a_plot_arriving_live_with_a_hostile_campaign_and_file_name_shows_them_as_text(page, browser_context, live_url):
    world = build_world()
    login(browser_context, live_url, world.admin)
    watch = Watch(page)
    pt = world.types[1]
    page.goto(f"/plots/?plot_type={pt.pk}")
    wait_live(page)
    campaign = f"zip {SCRIPT}"
    with Ingestor(world.exp, workers=1) as ingestor:
        report = ingestor.ingest(
            [
                Source(
                    name=f"RunPeriod-2023-08/Run039999/{IMG}.png",
                    ref=PlotRef(
                        plot_type=pt.name, run=39999, run_period="RunPeriod-2023-08", chunk=0, campaign=campaign
                    ),
                    data=demo.image(1, 39999)[0],
                )
            ]
        )
    plot = next(o.plot for o in report.outcomes if o.status == "new")
    assert Campaign.objects.filter(experiment=world.exp, name=campaign).exists()
    card = page.locator(f'.plot-card[data-plot="{plot.pk}"]')
    expect(card).to_be_visible()
    assert card.locator("img:not([src*='/media/'])").count() == 0
    page.goto(f"/plots/{plot.pk}/")
    assert page.evaluate(DOM_CHECK) == []
    assert not watch.dialogs and not watch.violations, watch.dialogs + watch.violations


def test_the_api_docs_work_under_the_content_security_policy(page):
    watch = Watch(page)
    response = page.goto("/api/docs/")
    assert "content-security-policy" in response.headers
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Hydra portal API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert not watch.violations, watch.violations


def test_live_runtime_cards_and_report_refreshes_keep_hostile_names_as_text(page, browser_context, live_url):
    from apps.validation import reports

    world = build_world()
    login(browser_context, live_url, world.admin)
    watch = Watch(page)
    pt = world.types[1]  # no model: its runtime card is fetched again when a plot arrives
    page.goto("/runtime/")
    wait_live(page)
    with Ingestor(world.exp, workers=1) as ingestor:
        ingestor.ingest(
            [
                Source(
                    name=f"RunPeriod-2023-08/Run039998/{SCRIPT}.png",
                    ref=PlotRef(plot_type=pt.name, run=39998, run_period="RunPeriod-2023-08", chunk=0, campaign=None),
                    data=demo.image(1, 39998)[0],
                )
            ]
        )
    card = page.locator(f"#rt-{pt.pk}")
    expect(card).to_contain_text("39998")
    expect(card).to_contain_text(pt.name)
    assert page.evaluate(DOM_CHECK) == []

    page.goto(f"/validation/reports/{world.report.pk}/")
    wait_live(page)
    reports.compute(world.report)  # tells the page, which fetches its body again
    expect(page.locator("#report[data-updated]")).to_be_attached()
    expect(page.locator("#report")).to_contain_text(world.types[0].name)
    assert page.evaluate(DOM_CHECK) == []
    assert not watch.dialogs and not watch.violations, watch.dialogs + watch.violations
