"""Plain statistical distances between plot images: zero for twins, non-comparable for empty or resized plots."""

import io

import numpy as np
import pytest
from PIL import Image

from ml import compare
from tests.validation import synthetic


def prepared(data: bytes) -> compare.PreparedImage:
    return compare.prepare(compare.load_image(data))


def test_identical_images_have_zero_distance_and_full_similarity():
    image = prepared(synthetic.png(synthetic.FCAL, 1))
    d = compare.distances(image, image)
    assert d == compare.Distances(0.0, 0.0, 0.0, 0.0)
    assert compare.similarity(d, compare.Calibration(dict(compare.DEFAULT_SCALES))) == 1.0


def test_a_plot_that_draws_nothing_is_non_comparable_as_empty():
    reference = prepared(synthetic.png(synthetic.FCAL, 1))
    assert compare.non_comparable_reason(prepared(synthetic.png(synthetic.FCAL, 2, "empty")), reference) == "empty"
    assert (
        compare.non_comparable_reason(
            prepared(synthetic.png(synthetic.BCAL, 2, "empty")), prepared(synthetic.png(synthetic.BCAL, 1))
        )
        == "empty"
    )
    assert compare.non_comparable_reason(prepared(synthetic.png(synthetic.FCAL, 2)), reference) == ""


def test_a_blank_image_and_a_resized_plot_are_non_comparable():
    reference = prepared(synthetic.png(synthetic.FCAL, 1))
    out = io.BytesIO()
    Image.new("RGB", (160, 120), "white").save(out, "PNG")
    assert compare.non_comparable_reason(prepared(out.getvalue()), reference) == "empty"
    bigger = prepared(synthetic.png(synthetic.FCAL, 1, width=200, height=150))
    assert compare.non_comparable_reason(bigger, reference) == "different size"
    assert compare.non_comparable_reason(None, reference) == "missing"


def test_calibrated_similarity_ranks_a_shifted_peak_below_every_good_plot():
    goods = [prepared(synthetic.png(synthetic.BCAL, run)) for run in range(10, 18)]
    template = goods[compare.medoid(goods)]
    calibration = compare.calibrate([compare.distances(g, template) for g in goods if g is not template])
    assert calibration.source == "reference"
    good_scores = [
        compare.similarity(compare.distances(prepared(synthetic.png(synthetic.BCAL, r)), template), calibration)
        for r in (30, 31, 32)
    ]
    shifted = prepared(synthetic.png(synthetic.BCAL, 33, "peak_shift"))
    bad_score = compare.similarity(compare.distances(shifted, template), calibration)
    assert bad_score < min(good_scores)
    assert compare.verdict(bad_score, 0.5, 0.25) in ("warn", "fail")
    assert all(compare.verdict(s, 0.5, 0.25) == "pass" for s in good_scores)


def test_verdicts_follow_thresholds_and_the_worst_wins():
    assert compare.verdict(0.9, 0.5, 0.25) == "pass"
    assert compare.verdict(0.4, 0.5, 0.25) == "warn"
    assert compare.verdict(0.1, 0.5, 0.25) == "fail"
    assert compare.verdict(None, 0.5, 0.25) == "non_comparable"
    assert compare.worst(["pass", "non_comparable", "warn"]) == "warn"
    assert compare.worst([]) == "pass"


def test_the_difference_map_is_dark_where_images_agree():
    a = prepared(synthetic.png(synthetic.FCAL, 1))
    png = compare.difference_png(a, a, width=160)
    pixels = np.asarray(Image.open(io.BytesIO(png)))
    assert pixels.shape[:2] == (120, 160)
    assert pixels.max() < 10


def four_pads(run: int, empty: tuple[int, ...] = (), background: int = 0xE8) -> bytes:
    """Two maps above two 1-D plots; the pads numbered in ``empty`` (1-based) draw nothing."""
    names = (synthetic.FCAL, synthetic.FDC, synthetic.TOF, synthetic.BCAL)
    return synthetic.canvas(
        [synthetic.png(n, run, "empty" if i in empty else None) for i, n in enumerate(names, start=1)],
        columns=2,
        background=background,
    )


def test_each_pad_of_a_multi_pad_canvas_is_judged_on_its_own():
    good = prepared(four_pads(1))
    assert good.pads == (False, False, False, False) and not good.draws_nothing
    some = prepared(four_pads(2, empty=(2, 3)))
    assert some.empty_pads == [2, 3] and not some.draws_nothing
    assert compare.lost_pads(some, good) == [2, 3] and compare.lost_pads(good, some) == []
    # Colour bars and axes of four pads spread over the whole canvas: still empty, white canvas or grey.
    for background in (0xE8, 0xFF):
        empty = prepared(four_pads(3, empty=(1, 2, 3, 4), background=background))
        assert empty.draws_nothing and empty.empty_pads == [1, 2, 3, 4]
        assert compare.non_comparable_reason(empty, good) == "empty"
    # A single plot is one pad; its stat box and colour bar are not pads.
    assert prepared(synthetic.png(synthetic.FCAL, 1)).pads == (False,)
    assert prepared(synthetic.png(synthetic.TOF, 1, "empty")).pads == (True,)


def test_a_plot_against_an_empty_reference_is_non_comparable():
    empty_reference = prepared(four_pads(4, empty=(1, 2, 3, 4)))
    assert compare.non_comparable_reason(prepared(four_pads(5)), empty_reference) == "empty reference"
    single = prepared(synthetic.png(synthetic.TOF, 4, "empty"))
    assert compare.non_comparable_reason(prepared(synthetic.png(synthetic.TOF, 5)), single) == "empty reference"
    # An empty 1-D histogram in ROOT may leave only black axes and text: no coloured data at all.
    grey = np.asarray(compare.load_image(synthetic.png(synthetic.TOF, 4, "empty"))).copy()
    grey[compare.ink_mask(grey)] = 255
    axes_only = compare.prepare(grey)
    assert axes_only.ink == 0 and not axes_only.draws_nothing
    assert compare.non_comparable_reason(prepared(synthetic.png(synthetic.TOF, 5)), axes_only) == "empty reference"


def full_size(name: str, run: int, failure: str | None = None) -> compare.PreparedImage:
    return prepared(synthetic.png(name, run, failure, width=480, height=360))


def calibrated(name: str, runs=range(1, 9)):
    goods = [full_size(name, run) for run in runs]
    template = goods[compare.medoid(goods)]
    return template, compare.calibrate([compare.distances(g, template) for g in goods if g is not template])


def test_a_missing_plane_is_seen_by_the_region_distance():
    # FDC: 24 planes, each a band across the whole map; FCAL: a row of 59 blocks across a round map.
    for name, alone in ((synthetic.FDC, 4.0), (synthetic.FCAL, 2.0)):
        template, calibration = calibrated(name)
        assert set(calibration.scales) == set(compare.METRICS) and calibration.source == "reference"
        for run in (30, 31, 32):
            good = compare.distances(full_size(name, run), template)
            assert compare.verdict(compare.similarity(good, calibration), 0.5, 0.25) == "pass"
            d = compare.distances(full_size(name, run, "missing_plane"), template)
            # In units of the reference's spread: beyond 4 (fail by itself) for FDC, 2 (warn) for FCAL.
            assert d.regions / calibration.scales["regions"] > alone, (name, run, d)
            assert compare.verdict(compare.similarity(d, calibration), 0.5, 0.25) == "fail"


def test_lost_ink_is_a_distance_of_its_own():
    from ml.synthetic import apply_failure, make_histogram, render_png

    def paddles(run: int, dead: bool = False) -> compare.PreparedImage:
        hist = make_histogram("paddle1d", run, entries=200_000, n_channels=88, profile="flat")
        if dead:  # the second of two planes of 44 paddles reads nothing
            hist = apply_failure(hist, "dead_region", run, start=44, size=44)
        return prepared(render_png(hist, run=run, width=240, height=180))

    goods = [paddles(run) for run in range(1, 9)]
    template = goods[compare.medoid(goods)]
    calibration = compare.calibrate([compare.distances(g, template) for g in goods if g is not template])
    d = compare.distances(paddles(20, dead=True), template)
    assert 0.4 < d.ink < 0.6  # about half the bars are gone
    assert d.ink / calibration.scales["ink"] > 10
    assert compare.verdict(compare.similarity(d, calibration), 0.5, 0.25) == "fail"
    assert compare.relative_change(0.2, 0.1) == 0.5 and compare.relative_change(0.0, 0.0) == 0.0


def test_grey_level_distances_alone_only_corroborate():
    """A run whose picture is unchanged but whose grey levels moved (another run length) is not
    failed by chi2/KS alone unless they move far; with lost ink beside them they count up to the cap."""
    calibration = compare.Calibration(dict(compare.DEFAULT_SCALES), "reference", 11)
    scale = compare.DEFAULT_SCALES
    grey_only = compare.Distances(chi2=5 * scale["chi2"], ks=4 * scale["ks"], mad=0.5 * scale["mad"])
    assert compare.excess(grey_only, calibration) == pytest.approx(5 / compare.GREY_LEVEL_TAIL)
    assert compare.verdict(compare.similarity(grey_only, calibration), 0.5, 0.25) == compare.PASS
    slightly = compare.Distances(chi2=2 * scale["chi2"], ks=scale["ks"], mad=0.5 * scale["mad"])
    assert compare.excess(slightly, calibration) == compare.CORROBORATION
    # A hot channel rescales a whole colour map: far beyond any run-length noise, it fails alone.
    hot = compare.Distances(chi2=25 * scale["chi2"], ks=5 * scale["ks"], mad=1.4 * scale["mad"])
    assert compare.verdict(compare.similarity(hot, calibration), 0.5, 0.25) == compare.FAIL
    lost_ink = compare.Distances(chi2=15 * scale["chi2"], ks=scale["ks"], mad=scale["mad"], ink=4 * scale["ink"])
    assert compare.excess(lost_ink, calibration) == 4 * compare.CORROBORATION
    assert compare.verdict(compare.similarity(lost_ink, calibration), 0.5, 0.25) == compare.FAIL
    # A distance of the picture itself counts alone, as before.
    moved = compare.Distances(chi2=0.0, ks=0.0, mad=0.0, profile=3 * scale["profile"])
    assert compare.excess(moved, calibration) == 3


def test_a_region_changed_by_a_few_per_cent_is_drawing_not_data():
    spread = [compare.Distances(chi2=1e-3, ks=1e-2, mad=5e-3, regions=0.0278) for _ in range(11)]
    calibration = compare.calibrate(spread)
    assert calibration.scales["regions"] == compare.SCALE_FLOORS["regions"] >= 0.0667
    edge = compare.Distances(chi2=1e-3, ks=1e-2, mad=5e-3, regions=0.0667)
    assert compare.similarity(edge, calibration) == 1.0
    dead = compare.Distances(chi2=1e-3, ks=1e-2, mad=5e-3, regions=0.7)
    assert compare.similarity(dead, calibration) < 0.25
