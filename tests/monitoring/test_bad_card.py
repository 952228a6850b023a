"""A Bad runtime card says since which run it is Bad, whom to call and where to read what to look for."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.monitoring import runtime
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def cdc(roles):
    exp = factories.experiment("GlueX")
    pt = factories.plot_type(exp, "CDC_occupancy", expert_contact="CDC on-call, x5123")
    model = factories.classifier_model(pt, activate=True)
    online, recon = factories.campaign(exp, "online"), factories.campaign(exp, "recon")
    verdicts = {2001: "Bad", 2002: "Good", 2003: "Bad", 2004: "Bad"}
    for number, verdict in verdicts.items():
        run = factories.run(exp, number)
        # The other campaign is Bad all along: its streak must not leak into the online one.
        factories.classification(factories.plot(pt, run, recon), model, "Bad")
        factories.classification(factories.plot(pt, run, online), model, verdict)
    return exp, pt


def card_html(client, exp, pt):
    html = client.get(reverse("runtime"), {"experiment": exp.slug}).content.decode()
    start = html.index(f'id="rt-{pt.pk}"')
    return html[start : html.index("</article>", start)]


def test_a_bad_card_names_the_streak_start_the_expert_and_the_plot_type_page(client, cdc):
    exp, pt = cdc
    card = card_html(client, exp, pt)
    assert card.startswith(f'id="rt-{pt.pk}" data-plot-type') and 'data-state="bad"' in card
    assert "Bad since run 2003" in card
    assert "Call CDC on-call, x5123" in card
    assert f'href="{reverse("plot-type-page", args=[pt.pk])}"' in card and "What to look for" in card


def test_a_streak_runs_back_to_the_first_run_when_nothing_else_came_before(cdc):
    exp, pt = cdc
    recon_newest = pt.plots.filter(campaign__name="recon").order_by("-run_number").first()
    assert runtime.bad_streak_starts([recon_newest.pk]) == {recon_newest.pk: 2001}


def test_a_good_card_shows_no_call_to_action(client, cdc):
    exp, pt = cdc
    newest = pt.plots.order_by("-id").first()
    newest.classifications.all().delete()
    model = pt.active_model.model
    factories.classification(newest, model, "Good")
    assert "rt-act" not in card_html(client, exp, pt)


def test_the_streak_starts_of_many_bad_cards_come_in_one_query(cdc):
    exp, pt = cdc
    ids = list(pt.plots.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as ctx:
        runtime.bad_streak_starts(ids)
    assert len(ctx.captured_queries) == 1
