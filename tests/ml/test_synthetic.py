"""Synthetic monitoring plots: histograms, failure modes, ROOT-like rendering, demo catalog."""

import io
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml.synthetic import (
    DEMO_PLOT_TYPES,
    FAILURE_MODES,
    PLOT_KINDS,
    Histogram,
    apply_failure,
    choose_failure,
    demo_plot,
    make_histogram,
    render_png,
)


def paddles(seed: int = 1) -> Histogram:
    return make_histogram("paddle1d", seed, n_channels=44)


def timing(seed: int = 1, **kw) -> Histogram:
    return make_histogram("timing_peak", seed, sigma=0.5, low=-10, high=10, nbins=100, **kw)


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def changed(before: Histogram, after: Histogram) -> np.ndarray:
    return before.values != after.values


# --- histograms -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PLOT_KINDS)
def test_the_same_seed_gives_the_same_histogram_and_entries_close_to_the_request(kind):
    first, second = make_histogram(kind, 5), make_histogram(kind, 5)
    np.testing.assert_array_equal(first.values, second.values)
    assert first.entries == pytest.approx(200_000, rel=0.02)
    assert not np.array_equal(first.values, make_histogram(kind, 6).values)


def test_an_unknown_plot_kind_raises_a_value_error_naming_the_valid_kinds():
    with pytest.raises(ValueError, match="occupancy2d"):
        make_histogram("lego", 1)


def test_histogram_values_are_read_only_copies():
    source = np.arange(5.0)
    hist = Histogram("paddle1d", source, (np.arange(6.0),), "t", "x", "y")
    source[0] = 99
    assert hist.values[0] == 0
    with pytest.raises(ValueError):
        hist.values[0] = 1


def test_calorimeter_blocks_outside_the_detector_never_get_hits():
    hist = make_histogram("occupancy2d", 3, layout="blocks")
    assert hist.values.shape == (59, 59)
    assert not hist.mask[29, 29], "the beam hole is not a channel"
    assert not hist.mask[0, 0], "corners lie outside the round outer edge"
    assert hist.values[~hist.mask].sum() == 0
    assert hist.values[29, 33] > hist.values[29, 55], "occupancy falls off with radius"


def test_the_straw_map_has_28_rings_with_growing_straw_counts():
    hist = make_histogram("polar_straw", 3)
    counts = hist.mask.sum(axis=1)
    assert counts.size == 28 and counts.sum() == 3522
    assert np.all(np.diff(counts) >= 0)
    assert hist.values[~hist.mask].sum() == 0


def test_a_timing_peak_sits_on_a_flat_background():
    hist = timing(mean=2.0)
    centres = 0.5 * (hist.edges[0][:-1] + hist.edges[0][1:])
    assert abs(centres[np.argmax(hist.values)] - 2.0) < 0.5
    assert hist.values[:10].mean() == pytest.approx(hist.values[-10:].mean(), rel=0.1)


# --- failure modes ----------------------------------------------------------------------------


def test_dead_channels_zeros_exactly_the_given_bins_and_nothing_else():
    before = paddles()
    after = apply_failure(before, "dead_channels", 1, channels=[3, 7])
    assert after.values[3] == 0 and after.values[7] == 0
    keep = np.ones(44, dtype=bool)
    keep[[3, 7]] = False
    np.testing.assert_array_equal(after.values[keep], before.values[keep])


def test_a_failure_never_modifies_the_original_histogram():
    before = make_histogram("occupancy2d", 2)
    snapshot = before.values.copy()
    for mode in ("dead_channels", "hot_channels", "missing_plane", "gain_drift", "empty"):
        apply_failure(before, mode, 1)
    np.testing.assert_array_equal(before.values, snapshot)


def test_dead_region_zeros_one_contiguous_block():
    before = make_histogram("occupancy2d", 2, layout="planes")
    after = apply_failure(before, "dead_region", 1, rows=(4, 8), cols=(30, 50))
    assert np.all(after.values[4:8, 30:50] == 0)
    outside = np.ones(before.values.shape, dtype=bool)
    outside[4:8, 30:50] = False
    np.testing.assert_array_equal(after.values[outside], before.values[outside])


def test_default_dead_region_in_1d_is_a_single_run_of_zeroed_bins():
    before = paddles()
    zeroed = np.flatnonzero(changed(before, apply_failure(before, "dead_region", 4)))
    assert zeroed.size >= 2 and np.all(np.diff(zeroed) == 1)


def test_dead_region_in_the_straw_map_is_a_wedge_over_neighbouring_rings():
    before = make_histogram("polar_straw", 2)
    after = apply_failure(before, "dead_region", 1, rows=(10, 14), phi=(0, 90))
    hit_rings = np.flatnonzero(changed(before, after).any(axis=1))
    assert set(hit_rings) == {10, 11, 12, 13}
    for ring in hit_rings:
        n = before.mask[ring].sum()
        assert after.values[ring, : n // 4 - 1].sum() == 0
        assert after.values[ring, n // 4 + 1 : n].min() > 0


def test_hot_channels_raises_only_the_given_channels_by_the_factor():
    before = paddles()
    after = apply_failure(before, "hot_channels", 1, channels=[5, 20], factor=10)
    np.testing.assert_array_equal(after.values[[5, 20]], np.rint(before.values[[5, 20]] * 10))
    assert np.flatnonzero(changed(before, after)).tolist() == [5, 20]


def test_missing_plane_zeros_one_whole_row_only():
    before = make_histogram("occupancy2d", 2, layout="planes")
    after = apply_failure(before, "missing_plane", 1, plane=9)
    assert after.values[9].sum() == 0 and before.values[9].sum() > 0
    np.testing.assert_array_equal(np.delete(after.values, 9, 0), np.delete(before.values, 9, 0))


def test_missing_plane_on_a_1d_histogram_raises_a_clear_error():
    with pytest.raises(ValueError, match="missing_plane does not apply to paddle1d"):
        apply_failure(paddles(), "missing_plane", 1)


@pytest.mark.parametrize("shift", [7, -4])
def test_peak_shift_moves_the_timing_peak_by_the_requested_bins(shift):
    before = timing()
    after = apply_failure(before, "peak_shift", 1, shift=shift)
    assert np.argmax(after.values) - np.argmax(before.values) == shift
    assert after.entries == before.entries


def test_peak_broadening_widens_the_peak_and_keeps_its_integral():
    before = timing(background=0.1)
    after = apply_failure(before, "peak_broadening", 1, factor=3)
    assert after.values.max() < 0.5 * before.values.max()
    assert after.entries == pytest.approx(before.entries, rel=0.03)
    above_half = (after.values > after.values.max() / 2).sum()
    assert above_half > 2.5 * (before.values > before.values.max() / 2).sum()


def test_peak_failures_on_occupancy_plots_raise_a_clear_error():
    for mode in ("peak_shift", "peak_broadening"):
        with pytest.raises(ValueError, match=f"{mode} does not apply to paddle1d"):
            apply_failure(paddles(), mode, 1)


def test_low_statistics_keeps_the_shape_with_about_one_percent_of_the_entries():
    before = paddles()
    after = apply_failure(before, "low_statistics", 1)
    assert after.entries == pytest.approx(0.01 * before.entries, rel=0.15)
    assert np.corrcoef(before.values, after.values)[0, 1] > 0.8


def test_gain_drift_scales_only_the_given_channels():
    before = paddles()
    after = apply_failure(before, "gain_drift", 1, channels=range(22), factor=0.7)
    np.testing.assert_array_equal(after.values[:22], np.rint(before.values[:22] * 0.7))
    np.testing.assert_array_equal(after.values[22:], before.values[22:])


def test_default_gain_drift_dims_half_the_detector_by_20_to_40_percent():
    before = make_histogram("occupancy2d", 2, layout="planes")
    after = apply_failure(before, "gain_drift", 3)
    dimmed = changed(before, after)
    assert 0.4 < dimmed.mean() <= 0.5
    ratio = after.values[dimmed].sum() / before.values[dimmed].sum()
    assert 0.6 <= ratio <= 0.8


def test_empty_gives_all_zeros_with_the_same_binning():
    before = make_histogram("polar_straw", 1)
    after = apply_failure(before, "empty", 1)
    assert after.values.shape == before.values.shape and not after.values.any()


def test_an_unknown_failure_mode_raises_a_value_error_naming_the_valid_ones():
    with pytest.raises(ValueError, match="dead_channels.*empty"):
        apply_failure(paddles(), "gremlins", 1)


@pytest.mark.parametrize(("name", "mode"), [(p.name, mode) for p in DEMO_PLOT_TYPES for mode in p.failures])
def test_every_catalogued_failure_changes_the_histogram_deterministically(name, mode):
    plot_type = next(p for p in DEMO_PLOT_TYPES if p.name == name)
    before = make_histogram(plot_type.kind, 8, **dict(plot_type.options))
    after = apply_failure(before, mode, 2)
    assert changed(before, after).any()
    np.testing.assert_array_equal(after.values, apply_failure(before, mode, 2).values)


# --- rendering --------------------------------------------------------------------------------


def test_the_same_seed_gives_identical_png_bytes():
    assert render_png(timing(4), run=80464) == render_png(timing(4), run=80464)


def test_different_seeds_give_different_pngs():
    assert render_png(timing(4)) != render_png(timing(5))


@pytest.mark.parametrize(
    ("kind", "size"), list(zip(PLOT_KINDS, [(480, 360), (333, 251), (640, 480), (200, 150)], strict=True))
)
def test_render_png_returns_a_decodable_rgb_png_of_the_requested_size(kind, size):
    image = decode(render_png(make_histogram(kind, 1), run=1, width=size[0], height=size[1]))
    assert image.format == "PNG" and image.mode == "RGB" and image.size == size


def test_renders_in_parallel_threads_match_a_serial_render():
    hists = [make_histogram(kind, 2) for kind in PLOT_KINDS]
    serial = [render_png(h, run=7) for h in hists]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda h: render_png(h, run=7), hists))
    assert parallel == serial


def test_an_empty_histogram_still_renders():
    empty = apply_failure(make_histogram("occupancy2d", 1), "empty", 1)
    assert decode(render_png(empty)).size == (480, 360)


# --- demo catalog -----------------------------------------------------------------------------


def test_the_catalog_covers_every_plot_kind_with_valid_failures():
    assert {p.kind for p in DEMO_PLOT_TYPES} == set(PLOT_KINDS)
    assert len({p.name for p in DEMO_PLOT_TYPES}) == len(DEMO_PLOT_TYPES)
    for plot_type in DEMO_PLOT_TYPES:
        assert set(plot_type.failures) <= set(FAILURE_MODES) - {"empty"}
        assert "\n- " in plot_type.description


@pytest.mark.parametrize("plot_type", DEMO_PLOT_TYPES, ids=lambda p: p.name)
def test_every_demo_plot_type_renders_a_good_plot(plot_type):
    png, label = demo_plot(plot_type, 80464, 1)
    assert label == "Good" and decode(png).size == (480, 360)


def test_demo_plot_labels_a_failure_bad_and_an_empty_plot_nodata():
    tof = next(p for p in DEMO_PLOT_TYPES if p.name == "TOF_paddle_occupancy")
    good, _ = demo_plot(tof, 80464, 1)
    bad, bad_label = demo_plot(tof, 80464, 1, "hot_channels")
    _, empty_label = demo_plot(tof, 80464, 1, "empty")
    assert (bad_label, empty_label) == ("Bad", "NoData")
    assert bad != good


def test_choose_failure_is_deterministic_per_plot_type_run_and_seed():
    plot_type = DEMO_PLOT_TYPES[0]
    picks = [choose_failure(plot_type, run, 3) for run in range(200)]
    assert picks == [choose_failure(plot_type, run, 3) for run in range(200)]
    assert picks != [choose_failure(plot_type, run, 4) for run in range(200)]


def test_choose_failure_roughly_matches_the_requested_rates():
    plot_type = DEMO_PLOT_TYPES[0]
    picks = [choose_failure(plot_type, run, 9, bad_rate=0.2, nodata_rate=0.05) for run in range(4000)]
    assert picks.count("empty") / 4000 == pytest.approx(0.05, abs=0.015)
    bad = [p for p in picks if p not in (None, "empty")]
    assert len(bad) / 4000 == pytest.approx(0.2, abs=0.025)
    assert set(bad) == set(plot_type.failures)


def test_the_package_imports_neither_django_nor_tensorflow_nor_pyplot():
    code = (
        "import sys, ml.synthetic; "
        "print(sorted(m for m in ('django', 'tensorflow', 'matplotlib.pyplot') if m in sys.modules))"
    )
    repo = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo)
    assert result.stdout.strip() == "[]"
