"""A brief over a real shift says what happened in it, item by item, and nothing from before."""

from datetime import timedelta

import pytest
from django.urls import reverse

from apps.briefs import content as brief_content
from apps.briefs.render import render_text
from tests import factories
from tests.briefs import scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def shift():
    return scene.build()


@pytest.fixture
def c(shift):
    return brief_content.compute(shift.exp, shift.since, shift.until)


def test_runs_taken_and_plots_ingested_count_only_the_period(c):
    assert c["runs"]["count"] == 5
    assert (c["runs"]["first"], c["runs"]["last"]) == (2001, 2005)
    assert c["runs"]["list"] == [{"run": n, "plots": 3} for n in scene.RUNS]
    assert c["plots"]["ingested"] == 15


def test_plots_classified_split_by_confirmation_and_bad(c):
    assert c["classified"] == {"total": 15, "confirmed": 11, "unconfirmed": 4, "bad": 3, "bad_confirmed": 2}


def test_the_worst_bad_verdicts_come_one_per_plot_type_confirmed_first_with_thumbnails(shift, c):
    worst = c["bad"]["worst"]
    assert [(w["plot_type"], w["run"], w["confidence"], w["confirmed"]) for w in worst] == [
        ("CDC_occupancy", 2002, 0.97, True),
        ("BCAL_timing", 2005, 0.91, True),
    ]
    cdc = shift.plots[("CDC_occupancy", 2002)]
    assert worst[0]["plot"] == cdc.pk
    assert worst[0]["thumbnail"] == cdc.thumbnail_url
    assert worst[0]["url"] == reverse("plot-page", args=[cdc.pk])
    assert c["bad"]["plot_types"] == 2
    assert c["bad"]["by_type"] == [
        {"plot_type": "CDC_occupancy", "verdicts": 2, "confirmed": 1},
        {"plot_type": "BCAL_timing", "verdicts": 1, "confirmed": 1},
    ]


def test_thumbnails_are_limited_to_the_worst_n(shift, settings):
    settings.BRIEF_THUMBNAILS = 1
    c = brief_content.compute(shift.exp, shift.since, shift.until)
    assert [w["plot_type"] for w in c["bad"]["worst"]] == ["CDC_occupancy"]


def test_an_unconfirmed_streak_of_three_runs_is_listed_with_its_last_plot(shift, c):
    assert len(c["unconfirmed_streaks"]) == 1
    streak = c["unconfirmed_streaks"][0]
    last = shift.plots[("FCAL_hits", 2004)]
    assert (streak["plot_type"], streak["first_run"], streak["run"], streak["runs"]) == ("FCAL_hits", 2002, 2004, 3)
    assert (streak["plot"], streak["thumbnail"]) == (last.pk, last.thumbnail_url)


def test_a_shorter_streak_is_listed_when_the_minimum_is_lower(shift, settings):
    settings.BRIEF_MIN_STREAK = 1
    c = brief_content.compute(shift.exp, shift.since, shift.until)
    found = {(s["plot_type"], s["first_run"], s["run"]) for s in c["unconfirmed_streaks"]}
    assert found == {("FCAL_hits", 2002, 2004), ("CDC_occupancy", 2003, 2003)}


def test_flickers_and_alarms_say_who_acknowledged_them_and_when(shift, c):
    assert [(f["plot_type"], f["state"], f["acknowledged_by"]) for f in c["flickers"]] == [
        ("FCAL_hits", "firing", None)
    ]
    assert len(c["alarms"]) == 1
    alarm = c["alarms"][0]
    bad = shift.alarms["bad"]
    assert alarm["id"] == bad.pk
    assert alarm["acknowledged_by"] == "carol"
    assert alarm["acknowledged_at"] == bad.acknowledged_at.isoformat()
    assert alarm["ack_comment"] == "HV trip, called Ann"
    assert alarm["reason"] == "bad" and alarm["state"] == "acknowledged"


def test_model_activations_name_the_models_and_who(c):
    assert [(a["plot_type"], a["previous"], a["model"], a["by"], a["note"]) for a in c["activations"]] == [
        ("CDC_occupancy", "v1 compact", "v2 compact", "carol", "v2")
    ]


def test_an_activation_by_the_quality_gate_says_so(shift):
    from apps.monitoring.models import Activation

    fcal = shift.types["FCAL_hits"]
    model = factories.model_row(fcal, version=2)
    Activation.objects.create(plot_type=fcal, model=model, previous=None, user=None, note="gate")
    content = brief_content.compute(shift.exp, shift.since, shift.until)
    automatic = [a for a in content["activations"] if a["plot_type"] == "FCAL_hits"]
    assert [a["by"] for a in automatic] == [None]
    assert "FCAL_hits: none -> v2 compact automatically (quality gate)" in render_text(content)


def test_labels_are_counted_per_person(c):
    assert c["labels"] == {"total": 5, "by_person": [{"user": "alice", "labels": 3}, {"user": "bob", "labels": 2}]}


def test_only_finished_validation_reports_are_listed(c):
    assert [(r["verdict"], r["counts"]["fail"]) for r in c["validation_reports"]] == [("fail", 1)]


def test_a_period_before_the_shift_holds_only_the_older_rows(shift):
    c = brief_content.compute(shift.exp, shift.since - timedelta(days=3), shift.since)
    assert c["plots"]["ingested"] == 1 and c["runs"]["list"] == [{"run": 1999, "plots": 1}]
    assert c["classified"]["bad"] == 1
    assert c["labels"]["by_person"] == [{"user": "bob", "labels": 1}]
    assert c["activations"] == [] and c["validation_reports"] == [] and c["flickers"] == []
    assert [a["summary"] for a in c["alarms"]] == ["last week"]


def test_the_text_carries_every_section(shift, c):
    text = render_text(c, "Owl", "Keep an eye on FCAL", "alice")
    assert "GlueX-brief Owl shift brief" in text
    assert "For the next shift (from alice):\nKeep an eye on FCAL" in text
    assert "Runs taken: 5 (2001 to 2005)" in text
    assert "Plots ingested: 15" in text
    assert "Plots classified: 15 (11 confirmed, 4 unconfirmed)" in text
    assert "Bad verdicts: 3 (2 confirmed)" in text
    assert "  - CDC_occupancy, run 2002: 0.97 confirmed" in text
    assert "  - FCAL_hits: 3 runs in a row, 2002 to 2004" in text
    assert "Flickering plot types:\n  - FCAL_hits: Flickering" in text
    assert "acknowledged by carol at" in text and '("HV trip, called Ann")' in text
    assert "  - CDC_occupancy: v1 compact -> v2 compact by carol" in text
    assert "Labels: 5\n  - alice: 3\n  - bob: 2" in text
    assert "Validation reports finished:\n  - online vs reference: fail (pass 2, fail 1)" in text
