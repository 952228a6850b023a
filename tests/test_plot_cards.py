"""The browser's cards and rows rendered in Python match the reference templates, and escape data."""

import re

import pytest
from django.template.loader import render_to_string

from apps.plots import cards
from apps.plots.models import Plot
from tests import factories as f


def _normal(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.fixture
def plots(experiment):
    hostile = f.plot_type(experiment, name='<img src=x onerror="alert(1)">&"', detector="CDC <b>")
    plain = f.plot_type(experiment, name="tof_paddles")
    run = f.run(experiment, 1234)
    odd_campaign = f.campaign(experiment, name='recon "v2" <i>')
    labeled = f.plot(hostile, run, odd_campaign, chunk=7)
    f.label(labeled, f.label_class(experiment, "Bad"))
    judged = f.plot(plain, run)
    model = f.classifier_model(plain)
    f.classification(judged, model, verdict="Good", confidence=0.8349, confirmed=False)
    confirmed = f.plot(plain, f.run(experiment, 1235))
    f.classification(confirmed, model, verdict="Bad", confidence=0.996, confirmed=True)
    rows = Plot.objects.select_related("label_class", "verdict_class", "plot_type", "campaign", "run_period")
    return list(rows.order_by("pk"))


@pytest.mark.django_db
@pytest.mark.parametrize("view,template", [("grid", "plots/_card.html"), ("list", "plots/_row.html")])
@pytest.mark.parametrize("is_new", [False, True])
def test_python_cards_render_like_the_templates(plots, view, template, is_new):
    expected = "".join(render_to_string(template, {"plot": p, "is_new": is_new}) for p in plots)
    assert _normal(cards.render(plots, view, is_new=is_new)) == _normal(expected)


@pytest.mark.django_db
def test_cards_escape_names_and_show_verdicts(plots):
    html = cards.render(plots, "grid")
    assert "<img src=x" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&quot;" in html
    assert "AI: Good @ 0.83" in html and 'class="verdict unconfirmed"' in html
    assert "AI: Bad @ 1.00" in html
    assert html.count("<figure") == 3
    assert f'href="/plots/{plots[0].pk}/"' in html
