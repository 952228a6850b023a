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

METRICS: tuple[str, ...] = ("chi2", "ks", "mad", "profile", "ink", "regions", "hist_chi2", "hist_ks")
HISTOGRAM_BINS = 64
# Images are compared at most this wide (box-filtered): enough for channel-level detail, and it
# averages away single-pixel anti-aliasing noise that says nothing about the data.
COMPARE_WIDTH = 240
# Pixels whose RGB channels differ by more than this are coloured ink (drawn data).
INK_CHROMA = 40
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
# their learned spread while nothing else moved. They corroborate, they do not convict alone: a
# run's excess from them counts up to CORROBORATION times its largest other excess (or 1).
GREY_LEVEL_METRICS = ("chi2", "ks")
CORROBORATION = 1.25
# Drawn data per cell of a REGION_GRID x REGION_GRID grid; cells where both images draw less than
# REGION_FLOOR (share of the cell) count as that much, so nearly empty cells cannot weigh in. Where
# the data's edges wobble from run to run (thin lines of 1-D plots), the reference campaign's own
# spread makes this distance large, and so its say small.
REGION_GRID = 24
REGION_FLOOR = 0.2
# An image whose ink sits in a band this thin (share of height or width) draws no data: only a
# flat line at zero, or a colour bar beside an empty map.
EMPTY_BAND = 0.08
# Pixels darker than this (grey level) can be a pad's frame: axis lines, whatever their colour.
FRAME_DARK = 0.55
# A frame smaller than this share of the largest frame's area is a stat box or legend, not a pad.
MIN_FRAME_SHARE = 0.2

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


def to_grey(image: np.ndarray) -> np.ndarray:
    """Grey levels in [0, 1] (ITU-R 601 luma) from a grey float or an RGB(A) uint8 array."""
    array = np.asarray(image)
    if array.ndim == 2:
        grey = array.astype(np.float32)
        return grey / 255.0 if array.dtype == np.uint8 else grey
    rgb = array[..., :3].astype(np.float32) / (255.0 if array.dtype == np.uint8 else 1.0)
    return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def ink_mask(image: np.ndarray) -> np.ndarray:
    """Boolean mask of clearly coloured pixels: bars, colour maps and lines, not the grey frame or text."""
    array = np.asarray(image)
    if array.ndim != 3:
        return np.zeros(array.shape[:2], dtype=bool)
    rgb = array[..., :3].astype(np.int16)
    return (rgb.max(axis=-1) - rgb.min(axis=-1)) > INK_CHROMA


def ink_fraction(image: np.ndarray) -> float:
    """Share of clearly coloured pixels (see ``ink_mask``)."""
    return float(ink_mask(image).mean())


def narrowest_band(weights: np.ndarray, share: float = 0.9) -> float:
    """Width, as a share of the axis, of the narrowest window that holds ``share`` of ``weights``."""
    total = float(weights.sum())
    if total <= 0:
        return 0.0
    cum = np.concatenate([[0.0], np.cumsum(weights, dtype=float)])
    ends = np.searchsorted(cum, cum[:-1] + share * total - 1e-9)
    usable = ends <= weights.size
    return float((ends[usable] - np.arange(weights.size)[usable]).min()) / weights.size


def _normalised(values: np.ndarray) -> np.ndarray:
    total = float(values.sum())
    return values / total if total > 0 else values.astype(float)


def shrink(grey: np.ndarray, width: int = COMPARE_WIDTH) -> np.ndarray:
    """Box-filter ``grey`` down to at most ``width`` pixels wide (integer factor, aspect kept)."""
    factor = int(np.ceil(grey.shape[1] / width)) if grey.shape[1] > width else 1
    if factor == 1:
        return grey
    h, w = (grey.shape[0] // factor) * factor, (grey.shape[1] // factor) * factor
    return grey[:h, :w].reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))


def intensity_histogram(grey: np.ndarray, bins: int = HISTOGRAM_BINS) -> np.ndarray:
    """Normalised histogram of grey levels in [0, 1] (sums to 1)."""
    counts, _ = np.histogram(np.clip(grey, 0.0, 1.0), bins=bins, range=(0.0, 1.0))
    total = counts.sum()
    return counts / total if total else counts.astype(float)


def _runs(mask: np.ndarray, min_length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of True along each row of ``mask`` at least ``min_length`` long: (row, first, last)."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    step = np.diff(padded, axis=1)
    rows, starts = np.nonzero(step == 1)
    _rows, ends = np.nonzero(step == -1)
    keep = (ends - starts) >= min_length
    return rows[keep], starts[keep], ends[keep] - 1


def find_frames(image: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The frames (plot areas) of a canvas as (top, left, bottom, right) pixels, row by row.

    A frame is found by its axes: a long dark vertical line (the y axis) that ends on a long
    dark horizontal line starting at the same place (the x axis). Only these two sides count,
    since a stat box often hides the frame's top right corner. Overlapping candidates keep the
    largest (a stat box or legend inside a frame is dropped), and candidates far smaller than
    the largest frame are dropped too.
    """
    array = np.asarray(image)
    lines = to_grey(array) < FRAME_DARK
    height, width = lines.shape
    min_w, min_h = max(12, int(0.06 * width)), max(10, int(0.06 * height))
    hy, hx0, hx1 = _runs(lines, min_w)
    vx, vy0, vy1 = _runs(lines.T, min_h)
    found = []
    for x, y0, y1 in zip(vx.tolist(), vy0.tolist(), vy1.tolist(), strict=True):
        near = (np.abs(hx0 - x) <= 2) & (np.abs(hy - y1) <= 2)
        for y, x1 in zip(hy[near].tolist(), hx1[near].tolist(), strict=True):
            found.append((y0, x, y, x1))
    found.sort(key=lambda f: (-(f[2] - f[0]) * (f[3] - f[1]), f))
    kept: list[tuple[int, int, int, int]] = []
    for f in found:
        if all(f[2] < k[0] or f[0] > k[2] or f[3] < k[1] or f[1] > k[3] for k in kept):
            kept.append(f)
    if kept:
        largest = (kept[0][2] - kept[0][0]) * (kept[0][3] - kept[0][1])
        kept = [k for k in kept if (k[2] - k[0]) * (k[3] - k[1]) >= MIN_FRAME_SHARE * largest]
    # Row by row: frames whose tops are within a tenth of a frame height share a row.
    tall = max((k[2] - k[0] for k in kept), default=1)
    return sorted(kept, key=lambda k: (round(k[0] / max(1, tall // 10)), k[1]))


def pad_is_empty(ink: np.ndarray, frame: tuple[int, int, int, int]) -> bool:
    """Whether the frame draws no data: no coloured ink inside it above a thin band at its bottom.

    An empty 2-D pad keeps its colour bar (outside the frame), an empty 1-D pad a flat line on
    its x axis; anything else inside the frame is data.
    """
    top, left, bottom, right = frame
    floor = bottom - max(2, int(EMPTY_BAND * (bottom - top)))
    inside = ink[top + 2 : floor, left + 2 : right - 1]
    return int(inside.sum()) < max(3, int(0.001 * inside.size))


def pads(image: np.ndarray, ink: np.ndarray | None = None) -> tuple[bool, ...]:
    """Per frame of the canvas (``find_frames``), whether it draws no data (``pad_is_empty``).

    Without any coloured ink on the canvas there is no telling data from axes and text: no pads.
    """
    ink = ink_mask(image) if ink is None else ink
    if not ink.any():
        return ()
    return tuple(pad_is_empty(ink, f) for f in find_frames(image))


def occupancy_grid(mask: np.ndarray, grid: int = REGION_GRID) -> np.ndarray:
    """Share of True pixels of ``mask`` per cell of a ``grid`` x ``grid`` grid (fewer cells on tiny images)."""
    height, width = mask.shape
    rows = np.linspace(0, height, min(grid, height) + 1).astype(int)
    cols = np.linspace(0, width, min(grid, width) + 1).astype(int)
    sums = np.add.reduceat(np.add.reduceat(mask.astype(np.float64), rows[:-1], axis=0), cols[:-1], axis=1)
    return sums / np.outer(np.diff(rows), np.diff(cols))


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
        profile_x=_normalised(drawn.sum(axis=0)),
        profile_y=_normalised(drawn.sum(axis=1)),
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
    counting at most ``CORROBORATION`` times the furthest of the others (see GREY_LEVEL_METRICS)."""
    ratios = {m: getattr(d, m) / calibration.scales.get(m, DEFAULT_SCALES[m]) for m in METRICS}
    structure = max(v for m, v in ratios.items() if m not in GREY_LEVEL_METRICS)
    grey = max(ratios[m] for m in GREY_LEVEL_METRICS)
    return max(structure, min(grey, CORROBORATION * max(structure, 1.0)))


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
