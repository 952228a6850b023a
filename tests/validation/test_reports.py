"""Campaign validation reports: verdicts per plot type, worst first, with non-comparable plots called out."""

import pytest

from apps.accounts.roles import DETECTOR_EXPERT, VIEWER
from apps.experiments.choices import CampaignKind
from apps.jobs.models import Job
from apps.validation import reports
from apps.validation.models import ValidationReport, ValidationThreshold
from tests import factories
from tests.validation import synthetic

pytestmark = pytest.mark.django_db

RF, SC = "RF_TOF_selftiming", "SC_paddle_occupancy"


@pytest.fixture
def campaigns(experiment):
    """A reference pass with six good runs of five plot types, and a new campaign with problems."""
    reference = factories.campaign(experiment, "recon-ver01", kind=CampaignKind.OFFLINE, is_reference=True)
    new = factories.campaign(experiment, "sim-2025", kind=CampaignKind.SIMULATION)
    runs = {n: factories.run(experiment, n) for n in range(1, 7)}
    types = {
        name: factories.plot_type(experiment, name) for name in (synthetic.FCAL, synthetic.TOF, synthetic.BCAL, RF, SC)
    }
    for name, pt in types.items():
        for n, run in runs.items():
            factories.plot_from_png(pt, synthetic.png(name, n), run, reference)
    factories.plot_from_png(types[synthetic.FCAL], synthetic.png(synthetic.FCAL, 11), runs[1], new)
    factories.plot_from_png(types[synthetic.FCAL], synthetic.png(synthetic.FCAL, 12), runs[2], new)
    factories.plot_from_png(types[synthetic.TOF], synthetic.png(synthetic.TOF, 11), runs[1], new)
    factories.plot_from_png(types[synthetic.TOF], synthetic.png(synthetic.TOF, 12, "hot_channels"), runs[2], new)
    factories.plot_from_png(types[RF], synthetic.png(RF, 11, width=200, height=150), runs[1], new)
    factories.plot_from_png(types[SC], synthetic.png(SC, 11, "empty"), runs[1], new)
    factories.plot_group(experiment, "Calorimeters", types=[types[synthetic.FCAL], types[synthetic.BCAL]])
    factories.plot_group(experiment, "Timing and PID", types=[types[synthetic.TOF], types[RF]])
    return new, reference, types


def test_report_verdicts_on_a_tiny_pair_of_campaigns_include_non_comparable_plots(campaigns):
    new, reference, types = campaigns
    report = reports.compute(reports.get_or_create_report(new, reference))
    results = {r.plot_type.name: r for r in report.results.select_related("plot_type")}
    assert results[synthetic.FCAL].verdict == "pass"
    assert results[synthetic.TOF].verdict == "fail"
    assert (results[synthetic.BCAL].verdict, results[synthetic.BCAL].reason.split(":")[0]) == (
        "non_comparable",
        "missing",
    )
    assert (results[RF].verdict, results[RF].reason) == ("non_comparable", "different size")
    assert (results[SC].verdict, results[SC].reason) == ("non_comparable", "empty")
    ranked = list(report.results.order_by("rank").values_list("plot_type__name", flat=True))
    assert ranked[0] == synthetic.TOF and ranked[-1] == synthetic.FCAL
    tof = results[synthetic.TOF]
    assert tof.score < 0.25 and tof.counts == {"pass": 1, "fail": 1}
    assert tof.worst_plot.run_number == 2 and tof.reference_plot.campaign_id == reference.pk
    assert tof.calibration["source"] == "reference" and tof.n_reference == 6
    assert [e["verdict"] for e in tof.plots] == ["fail", "pass"]
    assert report.summary["counts"] == {"pass": 1, "warn": 0, "fail": 1, "non_comparable": 3}
    assert report.summary["verdict"] == "fail"
    groups = {g["name"]: g["verdict"] for g in report.summary["groups"]}
    assert groups == {"Calorimeters": "non_comparable", "Timing and PID": "fail"}


def test_thresholds_per_plot_type_decide_the_verdict(campaigns):
    new, reference, types = campaigns
    ValidationThreshold.objects.create(plot_type=types[synthetic.TOF], warn_below=0.0, fail_below=0.0)
    report = reports.compute(reports.get_or_create_report(new, reference))
    assert report.results.get(plot_type=types[synthetic.TOF]).verdict == "pass"


def test_the_reference_is_chosen_automatically_as_the_newest_reference_campaign(campaigns, experiment):
    new, reference, _ = campaigns
    report = reports.get_or_create_report(new)
    assert report.reference == reference and report.reference_chosen_automatically
    newer = factories.campaign(experiment, "recon-ver02", is_reference=True)
    assert reports.choose_reference(new) == newer
    with pytest.raises(ValueError):
        reports.get_or_create_report(reference, reference)


def test_the_report_is_json_from_the_api_worst_first(campaigns, client):
    new, reference, _ = campaigns
    report = reports.compute(reports.get_or_create_report(new, reference))
    data = client.get(f"/api/v1/validation-reports/{report.pk}/").json()
    assert data["campaign_name"] == "sim-2025" and data["reference_name"] == "recon-ver01"
    assert [r["rank"] for r in data["results"]] == [1, 2, 3, 4, 5]
    assert data["results"][0]["plot_type_name"] == synthetic.TOF and data["results"][0]["verdict"] == "fail"
    assert data["summary"]["counts"]["non_comparable"] == 3
    listed = client.get(f"/api/v1/validation-reports/?campaign={new.pk}").json()["results"]
    assert [r["id"] for r in listed] == [report.pk]


def test_only_experts_start_a_validation_from_the_api(campaigns, client):
    new, reference, _ = campaigns
    client.force_login(factories.user(roles=[VIEWER]))
    assert (
        client.post("/api/v1/validation-reports/", {"campaign": new.pk}, content_type="application/json").status_code
        == 403
    )
    client.force_login(factories.user(roles=[DETECTOR_EXPERT]))
    response = client.post("/api/v1/validation-reports/", {"campaign": new.pk}, content_type="application/json")
    assert response.status_code == 202
    report = ValidationReport.objects.get(pk=response.json()["id"])
    assert report.reference == reference
    assert Job.objects.filter(kind="validation.report", params__report=report.pk).count() == 1
    # Asking again while the first job still waits queues nothing new.
    client.post(f"/api/v1/validation-reports/{report.pk}/recompute/")
    assert Job.objects.filter(kind="validation.report").count() == 1


def test_the_report_page_shows_worst_plot_beside_its_reference(campaigns, client):
    new, reference, types = campaigns
    report = reports.compute(reports.get_or_create_report(new, reference))
    page = client.get(f"/validation/reports/{report.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index(synthetic.TOF) < html.index(synthetic.FCAL)
    tof = report.results.get(plot_type=types[synthetic.TOF])
    assert f"/validation/compare/{tof.worst_plot_id}/?reference={tof.reference_plot_id}" in html
    assert "different size" in html and "empty" in html
    # Each plot type's row counts its plots per verdict (its verdict is its worst plot's).
    row = html[html.index(f'id="result-{tof.plot_type_id}"') :]
    row = row[: row.index("</tr>")]
    assert "1 fail" in row and "1 pass" in row
    partial = client.get(f"/validation/reports/{report.pk}/?partial=1").content.decode()
    assert "<html" not in partial and synthetic.TOF in partial


def test_empty_pads_fail_a_plot_and_an_empty_reference_is_non_comparable(experiment):
    from tests.validation.test_compare import four_pads

    reference = factories.campaign(experiment, "recon-ver01", kind=CampaignKind.OFFLINE, is_reference=True)
    new = factories.campaign(experiment, "recon-ver02", kind=CampaignKind.OFFLINE)
    runs = {n: factories.run(experiment, n) for n in range(1, 7)}
    canvases, flat, chosen = (
        factories.plot_type(experiment, "CAL_overview"),
        factories.plot_type(experiment, SC),
        factories.plot_type(experiment, synthetic.TOF),
    )
    for n, run in runs.items():
        factories.plot_from_png(canvases, four_pads(n), run, reference)
        factories.plot_from_png(flat, synthetic.png(SC, n, "empty"), run, reference)
        made = factories.plot_from_png(
            chosen, synthetic.png(synthetic.TOF, n, "empty" if n == 6 else None), run, reference
        )
    chosen.reference_plot = made  # run 6, which draws nothing
    chosen.save()
    # Empty 1-D histograms that left only black axes and text in the reference: no coloured data.
    axes_only = factories.plot_type(experiment, synthetic.BCAL)
    for n, run in runs.items():
        factories.plot_from_png(axes_only, without_colour(synthetic.png(synthetic.BCAL, n, "empty")), run, reference)
    factories.plot_from_png(axes_only, synthetic.png(synthetic.BCAL, 11), runs[1], new)
    factories.plot_from_png(canvases, four_pads(11), runs[1], new)
    factories.plot_from_png(canvases, four_pads(12, empty=(3,)), runs[2], new)
    factories.plot_from_png(canvases, four_pads(13, empty=(1, 2, 3, 4)), runs[3], new)
    factories.plot_from_png(flat, synthetic.png(SC, 11), runs[1], new)
    factories.plot_from_png(chosen, synthetic.png(synthetic.TOF, 11), runs[1], new)

    report = reports.compute(reports.get_or_create_report(new, reference))
    results = {r.plot_type.name: r for r in report.results.select_related("plot_type")}
    cal = results["CAL_overview"]
    assert cal.verdict == "fail" and cal.counts == {"pass": 1, "fail": 1, "non_comparable": 1}
    assert cal.reason.startswith("run 2: pad 3 of 4 empty")
    by_run = {e["run"]: e for e in cal.plots}
    assert (by_run[2]["verdict"], by_run[2]["empty_pads"], by_run[2]["pads"]) == ("fail", [3], 4)
    assert (by_run[3]["verdict"], by_run[3]["reason"], by_run[3]["empty_pads"]) == (
        "non_comparable",
        "empty",
        [1, 2, 3, 4],
    )
    assert (by_run[1]["verdict"], by_run[1]["empty_pads"]) == ("pass", [])
    assert cal.n_reference == 6 and cal.calibration["source"] == "reference"
    # Every reference plot of SC draws nothing: no pass or fail against it.
    assert (results[SC].verdict, results[SC].reason) == (
        "non_comparable",
        "empty reference: all 6 reference plots draw nothing",
    )
    assert results[SC].counts == {}
    # TOF's chosen reference plot draws nothing, though the campaign's other plots do.
    assert results[synthetic.TOF].verdict == "non_comparable"
    assert results[synthetic.TOF].reason == "empty reference: the plot type's reference plot (run 6) draws nothing"
    # (Black-and-white plot types exist, so colourless references alone are not empty: the plots draw colour.)
    assert (results[synthetic.BCAL].verdict, results[synthetic.BCAL].reason) == ("non_comparable", "empty reference")
    assert results[synthetic.BCAL].counts == {"non_comparable": 1}


def without_colour(png: bytes) -> bytes:
    import io

    import numpy as np
    from PIL import Image

    from ml import compare

    pixels = np.asarray(compare.load_image(png)).copy()
    pixels[compare.ink_mask(pixels)] = 255
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def test_the_histogram_behind_a_plot_is_compared_where_the_reference_has_them(experiment):
    from apps.validation import storage
    from apps.validation.models import HistogramSource
    from ml import root_histograms

    reference = factories.campaign(experiment, "recon-ver01", kind=CampaignKind.OFFLINE, is_reference=True)
    new = factories.campaign(experiment, "recon-ver02", kind=CampaignKind.OFFLINE)
    pt = factories.plot_type(experiment, synthetic.BCAL)

    def plot(run: int, camp, drawn_from: int, failure: str | None = None):
        """A plot whose image is the good run ``run`` but whose histogram is run ``drawn_from`` (broken or not)."""
        made = factories.plot_from_png(pt, synthetic.png(synthetic.BCAL, run), factories.run(experiment), camp)
        hist = synthetic.histogram(synthetic.BCAL, drawn_from, failure)
        rel = storage.relative("histograms", f"{made.pk}.npz")
        root_histograms.save_npz(hist, storage.absolute(rel))
        HistogramSource.objects.create(plot=made, path=rel, entries=float(hist.values.sum()))
        return made

    for run in range(1, 7):
        plot(run, reference, run)
    good = plot(11, new, 11)
    # The picture is a good run's, the data behind it a peak shifted by a stale timing offset.
    shifted = plot(12, new, 12, "peak_shift")

    line = reports.compute(reports.get_or_create_report(new, reference)).results.get(plot_type=pt)
    by_plot = {e["plot"]: e for e in line.plots}
    assert by_plot[good.pk]["verdict"] == "pass"
    assert by_plot[shifted.pk]["verdict"] == "fail" and line.verdict == "fail"
    d = by_plot[shifted.pk]["distances"]
    assert d["hist_ks"] / line.calibration["scales"]["hist_ks"] > 4
    assert d["mad"] < line.calibration["scales"]["mad"]  # the image alone looks fine


def test_a_warning_shared_by_most_runs_fails_the_plot_type_and_an_isolated_one_stays_a_warning(experiment):
    reference = factories.campaign(experiment, "recon-ver01", kind=CampaignKind.OFFLINE, is_reference=True)
    new = factories.campaign(experiment, "recon-ver02", kind=CampaignKind.OFFLINE)
    shifted, steady = (factories.plot_type(experiment, name) for name in (synthetic.FCAL, synthetic.TOF))
    for n in range(1, 7):
        run = factories.run(experiment, n)
        factories.plot_from_png(shifted, synthetic.png(synthetic.FCAL, n), run, reference)
        factories.plot_from_png(steady, synthetic.png(synthetic.TOF, n), run, reference)
    for n in range(21, 27):
        run = factories.run(experiment, n)
        factories.plot_from_png(shifted, synthetic.png(synthetic.FCAL, n), run, new)
        # Two runs of six with hot channels: a local problem, not the whole campaign.
        broken = "hot_channels" if n in (25, 26) else None
        factories.plot_from_png(steady, synthetic.png(synthetic.TOF, n, broken), run, new)
    # Thresholds that put every good run of FCAL between warn and fail: the whole campaign is off.
    ValidationThreshold.objects.create(plot_type=shifted, warn_below=1.01, fail_below=0.0)
    # For TOF, nothing fails outright: the two hot runs can only warn.
    ValidationThreshold.objects.create(plot_type=steady, warn_below=0.25, fail_below=0.0)
    report = reports.compute(reports.get_or_create_report(new, reference))
    row = report.results.get(plot_type=shifted)
    assert row.counts == {"warn": 6}
    assert row.verdict == "fail" and row.reason.startswith("systematic: 6 of 6 runs off the reference")
    local = report.results.get(plot_type=steady)
    assert local.counts == {"warn": 2, "pass": 4}, local.plots
    assert local.verdict == "warn" and "systematic" not in local.reason
