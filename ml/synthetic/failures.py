"""Detector failure modes, applied to histogram data before it is rendered.

Hydra emulates Bad plots, which are rare in real data, by breaking the underlying histogram and
drawing it again. The array functions here are pure: they return a new array and never touch
their input. ``apply_failure`` picks realistic random parameters for a Histogram (or takes
explicit ones, so tests can check exact effects) and calls them.

Channels of a 2-D histogram are addressed by flat (row-major) index into ``values``.
"""

from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from .histograms import Histogram, gaussian_bin_fractions, seeded_rng

FAILURE_MODES: tuple[str, ...] = (
    "dead_channels",
    "dead_region",
    "hot_channels",
    "missing_plane",
    "peak_shift",
    "peak_broadening",
    "low_statistics",
    "gain_drift",
    "empty",
)


def zero_bins(values: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Return a copy of ``values`` with the bins selected by boolean ``where`` set to zero."""
    return np.where(where, 0.0, values)


def scale_channels(values: np.ndarray, channels: Iterable[int], factor: float) -> np.ndarray:
    """Return a copy with the given flat channel indices multiplied by ``factor`` (whole counts)."""
    out = np.array(values, dtype=float, copy=True)
    index = _flat_index(values, channels)
    out.flat[index] = np.rint(out.flat[index] * factor)
    return out


def shift_bins(values: np.ndarray, shift: int) -> np.ndarray:
    """Move a 1-D spectrum by ``shift`` bins; bins wrap, which a flat background hides."""
    return np.roll(values, int(shift))


def broaden_peak(values: np.ndarray, edges: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    """Re-sample the main peak of a 1-D spectrum ``factor`` times wider, with the same integral.

    The peak is measured from the data (see ``estimate_peak``), so this works without knowing
    how the spectrum was generated.
    """
    peak = estimate_peak(values, edges)
    if peak is None:
        return np.array(values, dtype=float, copy=True)
    background, mean, sigma = peak
    centres = 0.5 * (edges[:-1] + edges[1:])
    window = np.abs(centres - mean) < 5 * sigma
    integral = max(float((values[window] - background).sum()), 0.0)
    wide = integral * gaussian_bin_fractions(edges, mean, sigma * factor)
    flat = rng.poisson(background, size=values.size).astype(float)
    return np.where(window, flat, values) + rng.poisson(wide).astype(float)


def estimate_peak(values: np.ndarray, edges: np.ndarray) -> tuple[float, float, float] | None:
    """Return ``(background, mean, sigma)`` of the highest peak, or None if there is none.

    The background is the median bin, which holds while the peak covers under half the range;
    sigma comes from the full width at half maximum, which ignores background fluctuations.
    """
    centres = 0.5 * (edges[:-1] + edges[1:])
    background = float(np.median(values))
    signal = values - background
    top = int(np.argmax(values))
    if signal[top] <= 0:
        return None
    lo, hi = top, top
    while lo > 0 and signal[lo - 1] > signal[top] / 2:
        lo -= 1
    while hi < values.size - 1 and signal[hi + 1] > signal[top] / 2:
        hi += 1
    bin_width = float(centres[1] - centres[0])
    sigma = max((hi - lo + 1) * bin_width / 2.355, bin_width / 2)
    mean = float(np.average(centres[lo : hi + 1], weights=signal[lo : hi + 1]))
    return background, mean, sigma


def thin(values: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Keep about ``fraction`` of the entries in every bin (Poisson resampling)."""
    return rng.poisson(np.clip(values, 0, None) * fraction).astype(float)


def apply_failure(hist: Histogram, mode: str, seed: int, **params) -> Histogram:
    """Return a copy of ``hist`` broken by failure ``mode``; ``hist`` itself is unchanged.

    Random choices depend only on ``seed``, ``mode`` and the histogram kind. Optional
    ``params`` pin them down:

    - ``dead_channels``: ``channels`` (flat indices) or ``count``.
    - ``dead_region``: 1-D ``start``, ``size``; ``occupancy2d`` ``rows``, ``cols`` as
      ``(first, stop)``; ``polar_straw`` ``rows`` (rings) and ``phi`` (degrees, ``(lo, hi)``).
    - ``hot_channels``: ``channels`` or ``count``, and ``factor``.
    - ``missing_plane``: ``plane`` (row index; 2-D only).
    - ``peak_shift``: ``shift`` in bins (``timing_peak`` only).
    - ``peak_broadening``: ``factor`` (``timing_peak`` only).
    - ``low_statistics``: ``fraction`` (default 0.01).
    - ``gain_drift``: ``channels`` (default: half the detector) and ``factor`` (0.6-0.8).
    - ``empty``: none.

    Raises ValueError for an unknown mode, or a mode that has no meaning for the kind.
    """
    if mode not in FAILURE_MODES:
        raise ValueError(f"unknown failure mode {mode!r}; valid modes: {', '.join(FAILURE_MODES)}")
    rng = seeded_rng(seed, "failure", mode, hist.kind)
    return replace(hist, values=_APPLY[mode](hist, rng, **params))


def _flat_index(values: np.ndarray, channels: Iterable[int]) -> np.ndarray:
    index = np.asarray(list(channels), dtype=int).ravel()
    if index.size and (index.min() < -values.size or index.max() >= values.size):
        raise ValueError(f"channel index out of range for {values.size} channels")
    return index


def _channel_region(values: np.ndarray, channels: Iterable[int]) -> np.ndarray:
    where = np.zeros(values.size, dtype=bool)
    where[_flat_index(values, channels)] = True
    return where.reshape(values.shape)


def _live_channels(hist: Histogram) -> np.ndarray:
    """Flat indices of real channels that have hits, so a failure is visible where it lands."""
    live = np.flatnonzero(hist.channel_mask & (hist.values > 0))
    return live if live.size else np.flatnonzero(hist.channel_mask)


def _pick(rng: np.random.Generator, hist: Histogram, count: int) -> np.ndarray:
    live = _live_channels(hist)
    return rng.choice(live, size=min(count, live.size), replace=False)


def _default_count(rng: np.random.Generator, hist: Histogram) -> int:
    if hist.values.ndim == 1:
        return int(rng.integers(2, 5))
    return int(rng.integers(4, 13))


def _require(hist: Histogram, mode: str, kinds: tuple[str, ...], hint: str) -> None:
    if hist.kind not in kinds:
        raise ValueError(f"{mode} does not apply to {hist.kind} histograms ({hint})")


def _dead_channels(hist, rng, *, channels=None, count=None):
    if channels is None:
        channels = _pick(rng, hist, count or _default_count(rng, hist))
    return zero_bins(hist.values, _channel_region(hist.values, channels))


def _dead_region(hist, rng, *, start=None, size=None, rows=None, cols=None, phi=None):
    values = hist.values
    if values.ndim == 1:
        n = values.size
        size = size or max(2, int(round(n * rng.uniform(0.1, 0.2))))
        start = int(rng.integers(0, max(1, n - size + 1))) if start is None else start
        where = np.zeros(n, dtype=bool)
        where[start : start + size] = True
        return zero_bins(values, where)
    ny, nx = values.shape
    # Centre the default block on a live channel so the region never falls in a hole.
    row, col = np.unravel_index(_pick(rng, hist, 1)[0], values.shape)
    if rows is None:
        height = max(2, int(round(ny * rng.uniform(0.12, 0.25))))
        rows = (max(0, row - height // 2), min(ny, row - height // 2 + height))
    if hist.kind == "polar_straw":
        return zero_bins(values, _polar_sector(hist, rng, rows, phi, (row, col)))
    if cols is None:
        width = max(2, int(round(nx * rng.uniform(0.12, 0.25))))
        cols = (max(0, col - width // 2), min(nx, col - width // 2 + width))
    where = np.zeros(values.shape, dtype=bool)
    where[rows[0] : rows[1], cols[0] : cols[1]] = True
    return zero_bins(values, where)


def _polar_sector(hist, rng, rows, phi, around):
    straw_phi = _straw_phi_degrees(hist)
    if phi is None:
        centre, half = straw_phi[around], rng.uniform(15, 35)
        phi = (centre - half, centre + half)
    in_sector = ((straw_phi - phi[0]) % 360.0) < ((phi[1] - phi[0]) % 360.0 or 360.0)
    in_rings = np.zeros(straw_phi.shape[0], dtype=bool)
    in_rings[rows[0] : rows[1]] = True
    return in_sector & in_rings[:, None] & hist.channel_mask


def _straw_phi_degrees(hist: Histogram) -> np.ndarray:
    counts = np.maximum(hist.channel_mask.sum(axis=1), 1)
    straw = np.arange(hist.values.shape[1])
    return 360.0 * (straw[None, :] + 0.5) / counts[:, None]


def _hot_channels(hist, rng, *, channels=None, count=None, factor=None):
    if channels is None:
        channels = _pick(rng, hist, count or max(1, _default_count(rng, hist) // 2))
    factor = rng.uniform(8.0, 20.0) if factor is None else factor
    if factor <= 1:
        raise ValueError(f"hot_channels needs factor > 1, got {factor}")
    return scale_channels(hist.values, channels, factor)


def _missing_plane(hist, rng, *, plane=None):
    _require(hist, "missing_plane", ("occupancy2d", "polar_straw"), "use dead_region for 1-D")
    if plane is None:
        live_rows = np.flatnonzero(hist.channel_mask.any(axis=1))
        plane = int(rng.choice(live_rows))
    where = np.zeros(hist.values.shape, dtype=bool)
    where[plane, :] = True
    return zero_bins(hist.values, where)


def _peak_shift(hist, rng, *, shift=None):
    _require(hist, "peak_shift", ("timing_peak",), "only timing spectra have a peak to move")
    if shift is None:
        # A shift of a few peak widths is unmistakable whatever the binning.
        peak = estimate_peak(hist.values, hist.edges[0])
        width = np.diff(hist.edges[0])[0]
        sigma_bins = peak[2] / width if peak else 3.0
        shift = max(2, int(round(sigma_bins * rng.uniform(2.5, 5.0)))) * int(rng.choice([-1, 1]))
    return shift_bins(hist.values, shift)


def _peak_broadening(hist, rng, *, factor=None):
    _require(hist, "peak_broadening", ("timing_peak",), "only timing spectra have a peak")
    factor = rng.uniform(2.0, 3.5) if factor is None else factor
    if factor <= 0:
        raise ValueError(f"peak_broadening needs factor > 0, got {factor}")
    return broaden_peak(hist.values, hist.edges[0], factor, rng)


def _low_statistics(hist, rng, *, fraction=0.01):
    if not 0 <= fraction <= 1:
        raise ValueError(f"low_statistics needs 0 <= fraction <= 1, got {fraction}")
    return thin(hist.values, fraction, rng)


def _gain_drift(hist, rng, *, channels=None, factor=None):
    _require(hist, "gain_drift", ("occupancy2d", "polar_straw", "paddle1d"), "bins are not channels")
    if channels is None:
        channels = np.flatnonzero(_half_detector(hist, rng) & hist.channel_mask)
    factor = rng.uniform(0.6, 0.8) if factor is None else factor
    return scale_channels(hist.values, channels, factor)


def _half_detector(hist: Histogram, rng: np.random.Generator) -> np.ndarray:
    """One half of the detector, as a power supply or readout crate would serve it."""
    values = hist.values
    if hist.kind == "polar_straw":
        start = rng.uniform(0, 360)
        return ((_straw_phi_degrees(hist) - start) % 360.0) < 180.0
    axis = int(rng.integers(0, values.ndim))
    n = values.shape[axis]
    first_half = np.arange(n) < n // 2
    half = first_half if rng.random() < 0.5 else ~first_half
    shape = [1] * values.ndim
    shape[axis] = n
    return np.broadcast_to(half.reshape(shape), values.shape)


def _empty(hist, rng):
    return np.zeros_like(hist.values)


_APPLY = {
    "dead_channels": _dead_channels,
    "dead_region": _dead_region,
    "hot_channels": _hot_channels,
    "missing_plane": _missing_plane,
    "peak_shift": _peak_shift,
    "peak_broadening": _peak_broadening,
    "low_statistics": _low_statistics,
    "gain_drift": _gain_drift,
    "empty": _empty,
}
