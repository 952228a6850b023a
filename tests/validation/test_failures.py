"""Simulated failures: a failure mode changes exactly what it should, and makes a clearly marked Bad set."""

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.accounts.roles import DETECTOR_EXPERT, VIEWER
from apps.experiments.choices import CampaignKind
from apps.plots.models import Plot
from apps.validation.models import HistogramSource
from ml import root_histograms
from ml.synthetic import apply_failure
from tests import factories
from tests.validation import synthetic


def test_dead_channels_zero_exactly_the_chosen_channels_and_nothing_else():
    hist = synthetic.histogram(synthetic.TOF, 5)
    broken = apply_failure(hist, "dead_channels", 1, channels=[3, 17])
    changed = np.flatnonzero(broken.values != hist.values)
    assert set(changed) <= {3, 17}
    assert broken.values[[3, 17]].tolist() == [0.0, 0.0]
    mask = np.ones(hist.values.size, dtype=bool)
    mask[[3, 17]] = False
    assert np.array_equal(broken.values[mask], hist.values[mask])
    assert hist.values[3] > 0  # the original is untouched


def test_a_hot_channel_read_from_a_root_file_is_scaled_and_the_rest_kept(tmp_path):
    original = synthetic.histogram(synthetic.FCAL, 8)
    root_histograms.write(tmp_path / "mon.root", {"FCAL/occupancy": original})
    spec = root_histograms.HistogramSpec(path="FCAL/occupancy", plot_type="FCAL_occupancy", draw="colz")
    [(_, hist, problem)] = root_histograms.read(tmp_path / "mon.root", [spec])
    assert problem == ""
    assert np.array_equal(hist.values, original.values)
    channel = 29 * 59 + 20
    broken = apply_failure(hist, "hot_channels", 1, channels=[channel], factor=10.0)
    assert broken.values.flat[channel] == np.rint(hist.values.flat[channel] * 10.0)
    others = np.arange(hist.values.size) != channel
    assert np.array_equal(broken.values.ravel()[others], hist.values.ravel()[others])


def test_a_dead_region_empties_only_its_rectangle():
    hist = synthetic.histogram(synthetic.FCAL, 9)
    broken = apply_failure(hist, "dead_region", 1, rows=(10, 20), cols=(30, 40))
    assert not broken.values[10:20, 30:40].any()
    outside = np.ones(hist.values.shape, dtype=bool)
    outside[10:20, 30:40] = False
    assert np.array_equal(broken.values[outside], hist.values[outside])


@pytest.mark.django_db
def test_simulate_failures_makes_a_clearly_marked_labeled_bad_set():
    exp = factories.experiment("GlueX")
    pt = factories.plot_type(exp, synthetic.FCAL)
    call_command(
        "simulate_failures", "--plot-type", synthetic.FCAL, "--modes", "dead_channels,hot_channels", "--count", "3"
    )
    made = Plot.objects.filter(plot_type=pt)
    assert made.count() == 6
    assert sorted(made.values_list("simulated_failure", flat=True)) == ["dead_channels"] * 3 + ["hot_channels"] * 3
    assert set(made.values_list("label_class__name", flat=True)) == {"Bad"}
    assert set(made.values_list("run_number", flat=True)) == {0}
    campaign = made.first().campaign
    assert (campaign.name, campaign.kind) == ("simulated-failures", CampaignKind.SIMULATION)
    assert len(set(made.values_list("chunk", flat=True))) == 6
    assert HistogramSource.objects.filter(plot__in=made).count() == 6
    assert made.first().training_weight >= 1


@pytest.mark.django_db
def test_simulated_failures_start_from_launched_histograms_and_skip_modes_that_do_not_fit(tmp_path, capsys):
    exp = factories.experiment("ePIC")
    root_histograms.write(tmp_path / "b.root", {"tof": synthetic.histogram(synthetic.TOF, 3)})
    config = tmp_path / "h.yaml"
    config.write_text("histograms:\n  - {path: tof, plot_type: TOF_bars, draw: bar, width: 160, height: 120}\n")
    call_command(
        "launch",
        str(tmp_path / "b.root"),
        "--experiment",
        "ePIC",
        "--campaign",
        "sim-v1",
        "--run",
        "7",
        "--config",
        str(config),
    )
    call_command("simulate_failures", "--plot-type", "TOF_bars", "--modes", "dead_channels,peak_shift", "--count", "2")
    made = Plot.objects.filter(plot_type__name="TOF_bars", experiment=exp).exclude(simulated_failure="")
    assert list(made.values_list("simulated_failure", flat=True)) == ["dead_channels"] * 2
    assert {p.width for p in made} == {160}
    assert "peak_shift does not apply" in capsys.readouterr().err


@pytest.mark.django_db
def test_simulate_failures_refuses_unknown_modes_and_plot_types_without_data():
    exp = factories.experiment("GlueX")
    factories.plot_type(exp, "Custom_plot")
    with pytest.raises(CommandError, match="unknown failure mode"):
        call_command("simulate_failures", "--plot-type", "Custom_plot", "--modes", "melted", "--count", "1")
    with pytest.raises(CommandError, match="no histogram data"):
        call_command("simulate_failures", "--plot-type", "Custom_plot", "--modes", "dead_channels", "--count", "1")


@pytest.mark.django_db
def test_the_simulate_page_is_for_detector_experts(client):
    exp = factories.experiment("GlueX")
    pt = factories.plot_type(exp, synthetic.TOF)
    client.force_login(factories.user(roles=[VIEWER]))
    response = client.post(
        "/validation/simulate/",
        {"plot_type": pt.pk, "modes": ["dead_channels"], "count": 2, "campaign": "simulated-failures"},
    )
    assert response.status_code == 302 and not Plot.objects.exists()
    client.force_login(factories.user(roles=[DETECTOR_EXPERT]))
    assert client.get(f"/validation/simulate/?plot_type={pt.pk}").status_code == 200
    response = client.post(
        "/validation/simulate/",
        {"plot_type": pt.pk, "modes": ["dead_channels", "gain_drift"], "count": 2, "campaign": "simulated-failures"},
    )
    assert response.status_code == 302
    assert Plot.objects.filter(plot_type=pt, label_class__name="Bad").count() == 4
