"""Plain statistical distances between two plot images, so a comparison exists before any model.

Six numbers per pair of images, each in [0, 1] and 0 for identical images:

- ``chi2``: symmetric chi-square distance between the normalised grey-level histograms,
- ``ks``: Kolmogorov-Smirnov distance (largest gap between the cumulative grey-level histograms),
- ``mad``: mean absolute pixel difference of the aligned grey images,
- ``profile``: KS distance between the x and y projections of the drawn data (the larger of the two),
- ``ink``: relative change of the share of drawn data, |a - b| / max(a, b): lost ink,
- ``regions``: the same relative change per cell of a 24 x 24 grid over the image (the largest),
  so a dead region or a missing plane counts in full however small its share of the canvas.

Where both plots carry the histogram they were drawn from (plots launched from ROOT files), two
more compare the data itself rather than its picture (``histogram_distances``):

- ``hist_chi2``: symmetric chi-square distance between the bin contents, each normalised to 1,
- ``hist_ks``: KS distance between them (1-D), or between their x and y projections (2-D).

They are 0 where a plot has no histogram, and so have no say there.

The first four hardly move when a plane or a region goes missing (the profile of a map loses a
few per cent, the grey levels stay alike); the last two see lost data directly.

The grey-level histograms do not care where things moved, the pixel difference and the profiles
do. Profiles catch what a few pixels cannot: a thin line whose peak moved (peak shift), a row of
a map gone dark (missing plane). "Drawn data" is the coloured ink of a ROOT-style plot (colour
maps, filled bars, histogram lines), as opposed to the grey canvas, white frame and black text
whose run numbers and stat-box digits change from run to run without meaning anything.
Raw distances have no natural scale (a timing spectrum and an occupancy map differ in how much a
good plot varies from run to run), so ``calibrate`` learns the run-to-run spread of good plots of
one plot type from a reference set, and ``similarity`` expresses a distance in units of that
spread: 1.0 means "as close as good plots are to each other", 0.5 "twice as far", and so on.

A canvas may hold several pads (ROOT's ``Divide``), each with its own frame and colour bar;
``pads`` judges each frame on its own, so a canvas whose pads are all empty is empty, and a pad
that lost its data where the reference's draws some is named (``lost_pads``).

Images are numpy arrays: grey (H, W) float in [0, 1], or RGB (H, W, 3) uint8. Plain numpy and
Pillow; no Django, no TensorFlow.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from PIL import Image

from ml.canvas import (
    EMPTY_BAND,
    ink_mask,
    intensity_histogram,
    narrowest_band,
    normalised,
    occupancy_grid,
    pads,
    shrink,
    to_grey,
)

METRICS: tuple[str, ...] = ("chi2", "ks", "mad", "profile", "ink", "regions", "hist_chi2", "hist_ks")
# Distances when a reference set is too small to learn its spread: about the largest
# good-vs-typical-good distances seen over the demo detector's seven plot types (ml.synthetic).
# ``regions`` ranges from nearly constant (maps) to all over the place (thin lines) between plot
# types, so without a reference spread it has no say (1.0 is its largest value).
DEFAULT_SCALES: dict[str, float] = {
    "chi2": 0.01,
    "ks": 0.05,
    "mad": 0.03,
    "profile": 0.06,
    "ink": 0.08,
    "regions": 1.0,
    "hist_chi2": 0.01,
    "hist_ks": 0.05,
}
MIN_CALIBRATION = 5
# Floors keep a reference set of identical images from making every later difference infinite.
SCALE_FLOORS: dict[str, float] = {
    "chi2": 2e-4,
    "ks": 2e-3,
    "mad": 1e-3,
    "profile": 2e-3,
    "ink": 0.01,
    # A cell whose edge falls between two pixels in one run and on one in the next changes by a few
    # per cent: below 7 % a cell's change is drawing, not data.
    "regions": 0.07,
    "hist_chi2": 2e-4,
    "hist_ks": 2e-3,
}
# The grey-level histogram distances move with a run's length (more entries, other colours) and
# have heavy tails that a dozen reference runs cannot learn: in good demo runs they reached 5 times
# their learned spread while nothing else moved. So they corroborate: a run's excess from them
# counts up to CORROBORATION times its largest other excess (or 1), and alone only at a third
# (GREY_LEVEL_TAIL): a hot channel that rescales a whole colour map (25 times) still fails.
GREY_LEVEL_METRICS = ("chi2", "ks")
CORROBORATION = 1.25
GREY_LEVEL_TAIL = 3.0
# Drawn data per cell of a REGION_GRID x REGION_GRID grid; cells where both images draw less than
# REGION_FLOOR (share of the cell) count as that much, so nearly empty cells cannot weigh in. Where
# the data's edges wobble from run to run (thin lines of 1-D plots), the reference campaign's own
# spread makes this distance large, and so its say small.
REGION_FLOOR = 0.2

PASS, WARN, FAIL, NON_COMPARABLE = "pass", "warn", "fail", "non_comparable"
VERDICT_ORDER: dict[str, int] = {FAIL: 0, WARN: 1, NON_COMPARABLE: 2, PASS: 3}


@dataclass(frozen=True)
class Distances:
    """The distances between two images (see the module docstring)."""

    chi2: float
    ks: float
    mad: float
    profile: float = 0.0
    ink: float = 0.0
    regions: float = 0.0
    hist_chi2: float = 0.0
    hist_ks: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {k: round(float(v), 6) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Calibration:
    """Per-metric spread of good plots around the reference; ``source`` is "reference" or "default"."""

    scales: dict[str, float]
    source: str = "default"
    count: int = 0

    def as_dict(self) -> dict:
        return {"scales": {k: round(v, 6) for k, v in self.scales.items()}, "source": self.source, "count": self.count}


@dataclass
class PreparedImage:
    """An image made ready for comparison: grey pixels, grey-level histogram, and how much it shows."""

    grey: np.ndarray
    histogram: np.ndarray
    size: tuple[int, int]  # (width, height) of the original
    ink: float  # share of coloured pixels: drawn data, as opposed to canvas, frame and text
    blank: bool
    profile_x: np.ndarray = field(default_factory=lambda: np.zeros(0))
    profile_y: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ink_band: float = 1.0  # thinnest band (share of height or width) holding 90 % of the ink
    # One flag per pad (frame) of a canvas, row by row, True where the pad draws no data; empty
    # when the canvas has a single frame or no coloured ink at all (then pads are not judged).
    pads: tuple[bool, ...] = ()
    # Share of drawn data per cell of a REGION_GRID grid (see ``occupancy_grid``).
    occupancy: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def empty_pads(self) -> list[int]:
        """1-based numbers of the pads that draw nothing (row by row, left to right)."""
        return [i for i, empty in enumerate(self.pads, start=1) if empty]

    @property
    def draws_nothing(self) -> bool:
        if len(self.pads) > 1:
            # A multi-pad canvas: colour bars and axes of several pads spread over the whole
            # image, so it is empty when every pad is.
            return self.blank or all(self.pads)
        return self.blank or (self.ink > 0 and self.ink_band < EMPTY_BAND)


def relative_change(a, b, floor: float = 0.0):
    """|a - b| / max(a, b, floor), in [0, 1]: 1 when one side is gone, 0 when equal."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    top = np.maximum(np.maximum(a, b), floor)
    return np.where(top > 0, np.abs(a - b) / np.where(top > 0, top, 1.0), 0.0)


def prepare(image: np.ndarray) -> PreparedImage:
    """Everything ``distances`` needs about one image, computed once (compare one template to many plots)."""
    array = np.asarray(image)
    grey = to_grey(array)
    small = shrink(grey)
    ink = ink_mask(array)
    # Without colour (a black-and-white plot), the dark pixels stand in for the ink.
    drawn = shrink(ink.astype(np.float32)) if ink.any() else 1.0 - small
    # Without colour, dark pixels stand in for the ink in the region grid too.
    region_mask = ink if ink.any() else grey < 0.5
    rows, cols = ink.sum(axis=1), ink.sum(axis=0)
    return PreparedImage(
        grey=small,
        histogram=intensity_histogram(small),
        size=(int(array.shape[1]), int(array.shape[0])),
        ink=float(ink.mean()),
        blank=float(grey.std()) < 0.01,
        profile_x=normalised(drawn.sum(axis=0)),
        profile_y=normalised(drawn.sum(axis=1)),
        ink_band=min(narrowest_band(rows), narrowest_band(cols)) if ink.any() else 1.0,
        pads=pads(array, ink),
        occupancy=occupancy_grid(region_mask),
    )


def load_image(path_or_bytes) -> np.ndarray:
    """An RGB uint8 array from a file path or PNG/JPEG bytes."""
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes | bytearray) else path_or_bytes
    with Image.open(source) as img:
        return np.asarray(img.convert("RGB"))


def chi2_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Symmetric chi-square distance 0.5 * sum((p - q)^2 / (p + q)) of two normalised histograms, in [0, 1]."""
    total = p + q
    used = total > 0
    return float(0.5 * np.sum((p[used] - q[used]) ** 2 / total[used]))


def ks_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance: the largest gap between the two cumulative histograms, in [0, 1]."""
    return float(np.max(np.abs(np.cumsum(p) - np.cumsum(q)))) if p.size else 0.0


def mean_abs_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two aligned grey images of one shape, in [0, 1]."""
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    return float(np.mean(np.abs(a - b)))


def distances(a: PreparedImage, b: PreparedImage) -> Distances:
    """The distances between two prepared images of the same size."""
    return Distances(
        chi2=chi2_distance(a.histogram, b.histogram),
        ks=ks_distance(a.histogram, b.histogram),
        mad=mean_abs_difference(a.grey, b.grey),
        profile=max(ks_distance(a.profile_x, b.profile_x), ks_distance(a.profile_y, b.profile_y)),
        ink=float(relative_change(a.ink, b.ink, 1e-4)),
        regions=region_distance(a.occupancy, b.occupancy),
    )


def histogram_distances(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """``hist_chi2`` and ``hist_ks`` between two histograms' bin contents; {} when they cannot be compared.

    Contents are normalised to 1 first (runs differ in length); histograms of another binning,
    or without entries, cannot be compared.
    """
    a, b = np.clip(np.asarray(a, dtype=float), 0, None), np.clip(np.asarray(b, dtype=float), 0, None)
    if a.shape != b.shape or a.ndim not in (1, 2) or a.sum() <= 0 or b.sum() <= 0:
        return {}
    p, q = a / a.sum(), b / b.sum()
    if p.ndim == 1:
        ks = ks_distance(p, q)
    else:
        ks = max(ks_distance(p.sum(axis=0), q.sum(axis=0)), ks_distance(p.sum(axis=1), q.sum(axis=1)))
    return {"hist_chi2": chi2_distance(p.ravel(), q.ravel()), "hist_ks": ks}


def region_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The largest relative change of drawn data over the cells of two occupancy grids (0 if they differ in shape)."""
    if a.shape != b.shape or a.size == 0:
        return 0.0
    return float(relative_change(a, b, REGION_FLOOR).max())


def non_comparable_reason(image: PreparedImage | None, reference: PreparedImage | None) -> str:
    """Why two images cannot be compared, or "".

    "missing", "missing reference", "different size", "empty" (the image draws nothing, or
    nothing where the reference draws data) or "empty reference" (the reference draws nothing).
    """
    if image is None:
        return "missing"
    if reference is None:
        return "missing reference"
    if image.size != reference.size:
        return "different size"
    # A blank image, or one that draws no data where the reference does, is empty.
    if image.draws_nothing or (image.ink < 1e-4 <= reference.ink):
        return "empty"
    # Against a reference that draws nothing (or no coloured data where the plot draws some), any
    # distance would only measure the data itself.
    if reference.draws_nothing or (reference.ink < 1e-4 <= image.ink):
        return "empty reference"
    return ""


def lost_pads(image: PreparedImage, reference: PreparedImage) -> list[int]:
    """Pads (1-based) that draw nothing in ``image`` but draw data in ``reference``.

    Only canvases with the same number of pads (two or more) are compared pad by pad.
    """
    if len(image.pads) < 2 or len(image.pads) != len(reference.pads):
        return []
    return [i for i, (a, b) in enumerate(zip(image.pads, reference.pads, strict=True), start=1) if a and not b]


def medoid(images: Sequence[PreparedImage], sample: int = 60, seed: int = 0) -> int:
    """Index of the most typical image: the one with the smallest summed pixel distance to the others.

    Robust to a minority of broken images, unlike a mean image. Large sets are compared on a sample.
    """
    n = len(images)
    if n == 0:
        raise ValueError("no images")
    if n <= 2:
        return 0
    rng = np.random.default_rng(seed)
    candidates = np.arange(n) if n <= sample else np.sort(rng.choice(n, sample, replace=False))
    shapes = {images[i].grey.shape for i in candidates}
    common = max(shapes, key=lambda s: sum(images[i].grey.shape == s for i in candidates))
    usable = [i for i in candidates if images[i].grey.shape == common and not images[i].blank]
    if not usable:
        return int(candidates[0])
    stack = np.stack([images[i].grey.ravel() for i in usable])
    totals = [np.abs(stack - row).mean(axis=1).sum() for row in stack]
    return int(usable[int(np.argmin(totals))])


def calibrate(reference_distances: Sequence[Distances], minimum: int = MIN_CALIBRATION) -> Calibration:
    """Learn how far good plots sit from the reference template, per metric.

    The scale is median + 3 robust standard deviations (1.4826 x MAD) of the distances of the
    reference set's own plots to its template: an upper bound of normal run-to-run variation
    that a minority of broken plots in the reference set cannot drag up. Below ``minimum``
    distances there is no spread to learn and ``DEFAULT_SCALES`` are used.
    """
    if len(reference_distances) < minimum:
        return Calibration(dict(DEFAULT_SCALES), "default", len(reference_distances))
    scales = {}
    for metric in METRICS:
        values = np.array([getattr(d, metric) for d in reference_distances], dtype=float)
        median = float(np.median(values))
        spread = 1.4826 * float(np.median(np.abs(values - median)))
        scales[metric] = max(median + 3.0 * spread, SCALE_FLOORS[metric])
    return Calibration(scales, "reference", len(reference_distances))


def excess(d: Distances, calibration: Calibration) -> float:
    """How many times its normal spread the furthest of the distances is, the grey-level ones
    counting up to ``CORROBORATION`` times the furthest of the others, or a third of their own
    excess if that is more (see GREY_LEVEL_METRICS)."""
    ratios = {m: getattr(d, m) / calibration.scales.get(m, DEFAULT_SCALES[m]) for m in METRICS}
    structure = max(v for m, v in ratios.items() if m not in GREY_LEVEL_METRICS)
    grey = max(ratios[m] for m in GREY_LEVEL_METRICS)
    return max(structure, min(grey, CORROBORATION * max(structure, 1.0)), grey / GREY_LEVEL_TAIL)


def similarity(d: Distances, calibration: Calibration) -> float:
    """Similarity in (0, 1]: 1 within the normal spread of good plots, 1/x at x times that spread."""
    e = excess(d, calibration)
    return 1.0 if e <= 1.0 else 1.0 / e


def verdict(score: float | None, warn_below: float, fail_below: float) -> str:
    """pass / warn / fail for a similarity ``score`` (None means non-comparable)."""
    if score is None:
        return NON_COMPARABLE
    if score < fail_below:
        return FAIL
    if score < warn_below:
        return WARN
    return PASS


def worst(verdicts: Sequence[str]) -> str:
    """The most severe verdict: fail > warn > non-comparable > pass (pass for an empty list)."""
    return min(verdicts, key=VERDICT_ORDER.__getitem__) if verdicts else PASS


def difference_png(image: PreparedImage, reference: PreparedImage, width: int | None = None) -> bytes:
    """A heat map of |image - reference| (grey levels), black where equal, bright where they differ."""
    from matplotlib import colormaps

    diff = np.abs(image.grey - reference.grey)
    # Scale to the strongest 0.5 % of differences so a small local change is still visible.
    top = float(np.quantile(diff, 0.995)) or float(diff.max()) or 1.0
    rgb = colormaps["magma"](np.clip(diff / top, 0.0, 1.0))[..., :3]
    out = Image.fromarray((rgb * 255).astype(np.uint8), "RGB")
    target = width or image.size[0]
    if out.size[0] != target:
        out = out.resize((target, round(out.size[1] * target / out.size[0])), Image.NEAREST)
    buffer = io.BytesIO()
    out.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()
