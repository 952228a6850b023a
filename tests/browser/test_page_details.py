"""In Chromium, at a desktop and a phone width: tables close their rounded cards cleanly, metadata reads as metadata."""

import pytest
from django.utils import timezone

from apps.accounts.roles import ADMIN
from apps.alerts.models import Rule
from tests import factories
from tests.browser import scene as demo
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Cells of a table's last row that reach into a rounded corner of the box around them, and paint
# there (a bottom border or a background) while the box does not clip them to its corner.
CORNER_OFFENDERS = """() => {
  const out = [];
  const painted = (st) => st.backgroundColor !== 'rgba(0, 0, 0, 0)' || parseFloat(st.borderBottomWidth) > 0;
  for (const table of document.querySelectorAll('table')) {
    const rows = table.rows;
    if (!rows.length) continue;
    const last = rows[rows.length - 1];
    for (let box = table; box && box !== document.body; box = box.parentElement) {
      const cs = getComputedStyle(box);
      const radius = parseFloat(cs.borderBottomLeftRadius) || 0;
      if (!radius) continue;
      const clips = cs.overflowX !== 'visible' && box !== table;
      const b = box.getBoundingClientRect();
      for (const cell of last.cells) {
        const c = cell.getBoundingClientRect();
        const atSide = c.left < b.left + radius + 1 || c.right > b.right - radius - 1;
        const inCorner = c.bottom > b.bottom - radius - 1 && atSide;
        if (inCorner && painted(getComputedStyle(cell)) && !clips) {
          out.push(`${box.className || box.tagName}: ${cell.tagName} "${cell.textContent.trim().slice(0, 30)}"`);
        }
      }
      break;
    }
  }
  return out;
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_no_table_cell_paints_over_a_rounded_corner_and_last_seen_is_not_bold(chromium, live_url, width):
    world = demo.build(runs=6)
    pt = world.types[0]
    plot = world.plots[(pt.name, demo.FIRST_RUN + 5)]
    Rule.objects.create(experiment=world.exp, name="Bad anywhere", plot_type=pt, kind="confirmed_bad")
    admin = factories.user("chief", roles=[ADMIN], last_login=timezone.now())
    context = chromium.new_context(viewport={"width": width, "height": 900}, base_url=live_url)
    context.set_default_timeout(10_000)
    try:
        login(context, live_url, admin)
        page = context.new_page()
        for path in ("/people/", f"/validation/compare/{plot.pk}/", "/alarms/rules/", "/models/", "/validation/"):
            page.goto(path)
            assert page.evaluate(CORNER_OFFENDERS) == [], path
        page.goto(f"/validation/compare/{plot.pk}/")
        assert page.locator(".metrics table").count() == 1
        # The distances scroll inside their box on a phone; the page itself does not.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        page.goto("/people/")
        meta = page.locator(f"#person-{admin.pk} th .muted")
        assert "last seen" in meta.inner_text()
        assert meta.evaluate("e => getComputedStyle(e).fontWeight") == "400"
    finally:
        context.close()
