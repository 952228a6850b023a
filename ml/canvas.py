"""Reading a plot's canvas: grey levels, coloured ink (the drawn data), its frames (pads) and grids.

The pieces ``ml.compare`` builds its distances from. A "canvas" is a ROOT-style plot image: a grey
canvas, white frames with black axes and text, and coloured ink where data is drawn. Plain numpy.
"""

from __future__ import annotations

import numpy as np

HISTOGRAM_BINS = 64
# Images are compared at most this wide (box-filtered): enough for channel-level detail, and it
# averages away single-pixel anti-aliasing noise that says nothing about the data.
COMPARE_WIDTH = 240
# Pixels whose RGB channels differ by more than this are coloured ink (drawn data).
INK_CHROMA = 40
# An image whose ink sits in a band this thin (share of height or width) draws no data: only a
# flat line at zero, or a colour bar beside an empty map.
EMPTY_BAND = 0.08
# Pixels darker than this (grey level) can be a pad's frame: axis lines, whatever their colour.
FRAME_DARK = 0.55
# A frame smaller than this share of the largest frame's area is a stat box or legend, not a pad.
MIN_FRAME_SHARE = 0.2
# Cells per side of the grid of drawn data (``occupancy_grid``).
REGION_GRID = 24


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


def normalised(values: np.ndarray) -> np.ndarray:
    """``values`` scaled to sum to 1 (unchanged when they sum to 0)."""
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
