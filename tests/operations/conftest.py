"""A plot type followed over runs: plots, a model with thresholds, verdicts, an activation, labels."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from apps.monitoring.models import Activation, ClassifierModel
from tests import factories

BAD_THRESHOLD = 0.8


@dataclass
class Followed:
    experiment: object
    plot_type: object
    other_type: object
    group: object
    model: object
    plots: dict  # run → plot
    labeled: object
    started: dict  # run → datetime


@pytest.fixture
def followed(db):
    """Runs 100..105 of one plot type with verdicts of one model; run 103 Bad; run 104 Bad but unconfirmed;
    run 101 labeled Good by hand; the model activated before any verdict. Runs carry conditions."""
    exp = factories.experiment("GlueX-trend")
    camp = factories.campaign(exp)
    ptype = factories.plot_type(exp, "CDC_occupancy")
    other = factories.plot_type(exp, "FCAL_hits")
    group = factories.plot_group(exp, "Drift chambers", types=[ptype, other])
    # A registry row is all a trend reads of a model (no network file needed).
    model = ClassifierModel.objects.create(
        plot_type=ptype,
        version=1,
        status=ClassifierModel.Status.READY,
        label_map=["Bad", "Good"],
        thresholds={"Bad": {"value": BAD_THRESHOLD, "set_by": "user"}, "Good": {"value": 0.6, "set_by": "initial"}},
    )
    Activation.objects.create(plot_type=ptype, model=model, note="first model")
    base = timezone.now() - dt.timedelta(days=2)
    plots, started = {}, {}
    scores = {100: 0.05, 101: 0.1, 102: 0.2, 103: 0.95, 104: 0.7, 105: 0.15}
    for i, (number, bad) in enumerate(scores.items()):
        start = base + dt.timedelta(hours=i)
        run = factories.run(exp, number, started_at=start, conditions={"beam_current": 50 + 10 * i, "target": "LH2"})
        started[number] = start
        plot = factories.plot(ptype, run, camp)
        verdict = "Bad" if bad >= 0.5 else "Good"
        confidence = bad if verdict == "Bad" else 1 - bad
        row = factories.classification(plot, model, verdict=verdict, confidence=confidence, confirmed=number != 104)
        row.scores = {"Bad": bad, "Good": round(1 - bad, 6)}
        row.save(update_fields=["scores"])
        plots[number] = plot
        # The other plot type of the group: Bad on runs 103 and 104 too.
        other_plot = factories.plot(other, run, camp)
        factories.classification(other_plot, model, verdict="Bad" if number in (103, 104, 105) else "Good")
    labeled = plots[101]
    factories.label(labeled, factories.label_class(exp, "Good"))
    return Followed(exp, ptype, other, group, model, plots, labeled, started)


# Here the portal's admin (pytest-django's ``admin_user`` is a superuser), and a viewer, after the roles.
@pytest.fixture
def admin_user(roles, admin):
    return admin


@pytest.fixture
def viewer_user(roles, viewer):
    return viewer


# The model cache reset of the monitoring tests.
from tests.monitoring.conftest import fresh_model_cache  # noqa: E402, F401
