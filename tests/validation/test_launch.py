"""manage.py launch: histograms from ROOT files become ROOT-style plots of the configured plot types."""

import io

import numpy as np
import pytest
import uproot
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from apps.plots.models import Plot
from apps.validation.models import HistogramSource
from ml import root_histograms
from tests import factories
from tests.validation import synthetic

pytestmark = pytest.mark.django_db

CONFIG = """\
run_period: RunPeriod-2025-01
defaults: {width: 320, height: 240}
histograms:
  - path: CDC/occupancy
    plot_type: CDC_occupancy
    draw: colz
  - path: timing/bcal
    plot_type: BCAL_timing
    title: BCAL time
  - path: not/there
    plot_type: Missing_plot
"""


def write_root(path):
    with uproot.recreate(path) as f:
        counts, xedges, yedges = np.histogram2d(
            np.random.default_rng(1).normal(0, 1, 5000), np.random.default_rng(2).normal(0, 1, 5000), bins=(12, 10)
        )
        f["CDC/occupancy"] = (counts, xedges, yedges)
        values, edges = np.histogram(np.random.default_rng(3).normal(0, 0.5, 4000), bins=60, range=(-4, 4))
        f["timing/bcal"] = (values.astype(float), edges)
    return counts, values


def test_launch_ingests_plots_from_a_root_file_written_in_the_test(tmp_path, capsys, media_root):
    exp = factories.experiment("ePIC")
    counts, values = write_root(tmp_path / "run42.root")
    (tmp_path / "histograms.yaml").write_text(CONFIG)
    call_command(
        "launch",
        str(tmp_path / "run42.root"),
        "--experiment",
        "ePIC",
        "--campaign",
        "benchmarks-24.10",
        "--run",
        "42",
        "--config",
        str(tmp_path / "histograms.yaml"),
    )
    plots = {
        p.plot_type.name: p
        for p in Plot.objects.filter(experiment=exp).select_related("plot_type", "campaign", "run_period")
    }
    assert set(plots) == {"CDC_occupancy", "BCAL_timing"}
    cdc = plots["CDC_occupancy"]
    assert (cdc.run_number, cdc.campaign.name, cdc.run_period.name) == (42, "benchmarks-24.10", "RunPeriod-2025-01")
    assert (cdc.width, cdc.height) == (320, 240)
    with Image.open(io.BytesIO((media_root / cdc.image).read_bytes())) as img:
        assert img.format == "PNG" and img.size == (320, 240)
    kept = root_histograms.load_npz(media_root / HistogramSource.objects.get(plot=cdc).path)
    assert np.array_equal(kept.values, counts.T)  # rows are y, as Histogram keeps them
    timing = root_histograms.load_npz(media_root / HistogramSource.objects.get(plot=plots["BCAL_timing"]).path)
    assert timing.title == "BCAL time" and np.array_equal(timing.values, values)
    out = capsys.readouterr()
    assert "ingested 2 new" in out.out
    assert "not/there" in out.err


def test_launching_the_same_file_again_adds_nothing(tmp_path):
    factories.experiment("ePIC")
    write_root(tmp_path / "r.root")
    (tmp_path / "h.yaml").write_text(CONFIG)
    args = [
        str(tmp_path / "r.root"),
        "--experiment",
        "ePIC",
        "--campaign",
        "c",
        "--run",
        "1",
        "--config",
        str(tmp_path / "h.yaml"),
    ]
    call_command("launch", *args)
    call_command("launch", *args)
    assert Plot.objects.count() == 2


def test_launch_draws_a_synthetic_detector_histogram_like_the_demo_plots(tmp_path):
    factories.experiment("GlueX")
    root_histograms.write(tmp_path / "m.root", {"fcal": synthetic.histogram(synthetic.FCAL, 4)})
    (tmp_path / "h.yaml").write_text("histograms:\n  - {path: fcal, plot_type: FCAL_occupancy}\n")
    call_command(
        "launch",
        str(tmp_path / "m.root"),
        "--experiment",
        "GlueX",
        "--campaign",
        "online",
        "--run",
        "4",
        "--config",
        str(tmp_path / "h.yaml"),
    )
    plot = Plot.objects.get()
    assert (plot.width, plot.height) == (480, 360)
    assert HistogramSource.objects.get(plot=plot).entries == pytest.approx(
        synthetic.histogram(synthetic.FCAL, 4).entries
    )


def test_launch_refuses_a_config_with_unknown_keys_or_an_unknown_experiment(tmp_path):
    factories.experiment("ePIC")
    write_root(tmp_path / "r.root")
    (tmp_path / "bad.yaml").write_text("histograms:\n  - {path: a, plot_type: B, colour: red}\n")
    with pytest.raises(CommandError, match="unknown keys"):
        call_command(
            "launch",
            str(tmp_path / "r.root"),
            "--experiment",
            "ePIC",
            "--campaign",
            "c",
            "--run",
            "1",
            "--config",
            str(tmp_path / "bad.yaml"),
        )
    with pytest.raises(CommandError, match="no experiment"):
        call_command(
            "launch",
            str(tmp_path / "r.root"),
            "--experiment",
            "Nope",
            "--campaign",
            "c",
            "--run",
            "1",
            "--config",
            str(tmp_path / "bad.yaml"),
        )
