"""Plain statistical distances between plot images: zero for twins, non-comparable for empty or resized plots."""

import io

import numpy as np
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
