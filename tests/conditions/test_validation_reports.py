"""Campaign validation reports over the runs matching run conditions."""

import pytest

from apps.accounts.roles import DETECTOR_EXPERT
from apps.experiments.models import Run
from apps.validation import reports
from apps.validation.models import ValidationReport
from tests import factories
from tests.validation import synthetic
from tests.validation.test_reports import campaigns  # noqa: F401  (the shared scene)

pytestmark = pytest.mark.django_db


@pytest.fixture
def conditioned(campaigns):  # noqa: F811
    # Run 2 (where TOF has hot channels) is a special run; runs 1 and 3-6 are production runs.
    for run in Run.objects.all():
        run.conditions = {"is_production": run.number != 2, "beam_current": 10.0 * run.number}
        run.save()
    return campaigns


def test_a_report_compares_only_the_runs_matching_its_conditions(conditioned):
    new, reference, _ = conditioned
    everything = reports.compute(reports.get_or_create_report(new, reference))
    production = reports.compute(reports.get_or_create_report(new, reference, conditions="@is_production"))
    assert production.pk != everything.pk and production.conditions == "@is_production"
    tof_all = everything.results.get(plot_type__name=synthetic.TOF)
    tof = production.results.get(plot_type__name=synthetic.TOF)
    assert tof_all.verdict == "fail" and tof_all.n_plots == 2
    assert tof.verdict == "pass" and tof.n_plots == 1 and tof.n_reference == 5
    assert {e["run"] for e in tof.plots} == {1}
    # Asking again with the same conditions gives the same report.
    assert reports.get_or_create_report(new, reference, conditions=" @is_production ").pk == production.pk


def test_reports_with_conditions_from_the_page_and_the_api(conditioned, client):
    new, reference, _ = conditioned
    client.force_login(factories.user(roles=[DETECTOR_EXPERT]))
    bad = client.post(
        "/api/v1/validation-reports/", {"campaign": new.pk, "conditions": "beam_current >"}, "application/json"
    )
    assert bad.status_code == 400 and "Bad condition" in str(bad.json()["error"]["details"]["conditions"])
    made = client.post(
        "/api/v1/validation-reports/", {"campaign": new.pk, "conditions": "beam_current >= 30"}, "application/json"
    )
    assert made.status_code == 202 and made.json()["conditions"] == "beam_current >= 30"
    page = client.post("/validation/reports/new", {"campaign": new.pk, "conditions": "not @is_production"})
    report = ValidationReport.objects.get(conditions="not @is_production")
    assert page.status_code == 302 and page.url == report.get_absolute_url()
    html = client.get(report.get_absolute_url()).content.decode()
    assert "runs where <code>not @is_production</code>" in html
    refused = client.post("/validation/reports/new", {"campaign": new.pk, "conditions": "x = 1"}, follow=True)
    assert "use “==” to compare" in refused.content.decode()
    assert ValidationReport.objects.count() == 2
