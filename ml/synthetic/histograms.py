"""Histogram data behind synthetic monitoring plots, deterministic from a seed.

Shapes imitate a GlueX-like detector: occupancy falls off smoothly away from the beam line,
timing spectra are Gaussian peaks on a flat background, and every bin carries Poisson noise.
Per-channel efficiencies come from a fixed "hardware" seed so that good plots of one plot type
look alike from run to run, the way a real detector's do; only beam and statistics vary by seed.
"""

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PLOT_KINDS: tuple[str, ...] = ("occupancy2d", "polar_straw", "paddle1d", "timing_peak")

# GlueX CDC: 28 rings, 3522 straws; pairs of rings share a straw count.
CDC_STRAWS_PER_RING: tuple[int, ...] = tuple(
    n for n in (42, 54, 66, 80, 93, 106, 123, 135, 146, 158, 170, 182, 197, 209) for _ in (0, 1)
)
CDC_INNER_RADIUS_CM = 10.0
CDC_OUTER_RADIUS_CM = 58.0

_TWO_D_KINDS = ("occupancy2d", "polar_straw")


@dataclass(frozen=True, eq=False)
class Histogram:
    """Binned data for one monitoring plot.

    ``values`` is 1-D for ``paddle1d`` and ``timing_peak``; 2-D ``[ny, nx]`` for ``occupancy2d``
    and ``[rings, straws]`` for ``polar_straw``. ``edges`` holds the bin edges of each array axis
    in array order (rows first for 2-D). ``mask`` marks bins that are real channels: FCAL blocks
    inside the beam hole or beyond the outer edge, and CDC straws past a ring's straw count, are
    False there and always hold zero. Arrays are copied and made read-only, so a Histogram can be
    shared freely and failure modes can never alter the original.
    """

    kind: str
    values: np.ndarray
    edges: tuple[np.ndarray, ...]
    title: str
    xlabel: str
    ylabel: str
    zlabel: str = ""
    mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.kind not in PLOT_KINDS:
            raise ValueError(f"unknown plot kind {self.kind!r}; valid kinds: {', '.join(PLOT_KINDS)}")
        values = _read_only(np.asarray(self.values, dtype=float))
        ndim = 2 if self.kind in _TWO_D_KINDS else 1
        if values.ndim != ndim:
            raise ValueError(f"{self.kind} needs {ndim}-D values, got shape {values.shape}")
        edges = tuple(_read_only(np.asarray(e, dtype=float)) for e in self.edges)
        if len(edges) != ndim or any(e.size != n + 1 for e, n in zip(edges, values.shape, strict=True)):
            raise ValueError(f"edges do not match values of shape {values.shape}")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "edges", edges)
        if self.mask is not None:
            mask = _read_only(np.asarray(self.mask, dtype=bool))
            if mask.shape != values.shape:
                raise ValueError(f"mask shape {mask.shape} differs from values {values.shape}")
            object.__setattr__(self, "mask", mask)

    @property
    def entries(self) -> float:
        """Total number of entries (sum over all bins)."""
        return float(self.values.sum())

    @property
    def channel_mask(self) -> np.ndarray:
        """Boolean array, True for bins that are real channels (all bins when no mask)."""
        if self.mask is None:
            return np.ones(self.values.shape, dtype=bool)
        return self.mask


def seeded_rng(seed: int, *tags: object) -> np.random.Generator:
    """Return a generator that depends only on ``seed`` and ``tags``.

    Tags go through CRC-32 rather than ``hash()`` so streams are identical across processes.
    """
    seed = int(seed) % 2**64
    words = [seed & 0xFFFFFFFF, seed >> 32] + [zlib.crc32(str(t).encode()) for t in tags]
    return np.random.default_rng(np.random.SeedSequence(words))


def gaussian_bin_fractions(edges: np.ndarray, mean: float, sigma: float) -> np.ndarray:
    """Fraction of a normal distribution's area that falls into each bin."""
    scale = sigma * math.sqrt(2.0)
    cdf = np.array([0.5 * (1.0 + math.erf((e - mean) / scale)) for e in edges])
    return np.diff(cdf)


def make_histogram(kind: str, seed: int, *, entries: int = 200_000, title: str = "", **kw) -> Histogram:
    """Build the histogram for a plot of ``kind``, deterministic from ``seed``.

    ``entries`` is the expected total; each bin is Poisson-sampled, so the actual sum varies.
    Keyword options per kind (all optional):

    - ``occupancy2d``: ``layout`` ("blocks": a 59x59 calorimeter with a round beam hole and
      outer edge; "planes": ``n_planes`` x ``n_wires`` wire chambers), ``n_blocks``.
    - ``polar_straw``: ``straws_per_ring`` (defaults to the GlueX CDC's 28 rings).
    - ``paddle1d``: ``n_channels`` (44), ``profile`` ("beam": peaked at the beam line; "flat").
    - ``timing_peak``: ``mean``, ``sigma``, ``low``, ``high`` (ns), ``nbins``, ``background``
      (fraction of entries in the flat background).
    - any kind: ``xlabel``, ``ylabel``, ``zlabel`` overrides and ``hardware_seed`` (per-channel
      efficiencies; fixed by default).
    """
    if kind not in PLOT_KINDS:
        raise ValueError(f"unknown plot kind {kind!r}; valid kinds: {', '.join(PLOT_KINDS)}")
    if entries < 0:
        raise ValueError(f"entries must be >= 0, got {entries}")
    labels = {k: kw.pop(k) for k in ("xlabel", "ylabel", "zlabel") if k in kw}
    hardware = seeded_rng(kw.pop("hardware_seed", 0), "hardware", kind)
    rng = seeded_rng(seed, "histogram", kind)
    fields = _BUILDERS[kind](rng, hardware, float(entries), **kw)
    default_title = fields.pop("default_title")
    fields.update(labels)
    return Histogram(kind=kind, title=title or default_title, **fields)


def _read_only(array: np.ndarray) -> np.ndarray:
    copy = np.array(array, copy=True)
    copy.flags.writeable = False
    return copy


def _sample(rng: np.random.Generator, shape: np.ndarray, entries: float) -> np.ndarray:
    total = shape.sum()
    if total <= 0 or entries <= 0:
        return np.zeros(shape.shape)
    return rng.poisson(shape * (entries / total)).astype(float)


def _blocks(rng, hardware, entries, *, layout="blocks", n_blocks=59, n_planes=24, n_wires=96):
    if layout == "planes":
        return _planes(rng, hardware, entries, n_planes=n_planes, n_wires=n_wires)
    if layout != "blocks":
        raise ValueError(f"unknown occupancy2d layout {layout!r}; use 'blocks' or 'planes'")
    centre = (n_blocks - 1) / 2
    rows, cols = np.mgrid[0:n_blocks, 0:n_blocks]
    radius = np.hypot(cols - centre, rows - centre)
    mask = (radius >= 0.05 * n_blocks) & (radius <= n_blocks / 2)
    # The beam spot wanders a little from run to run; the block geometry does not.
    bx, by = centre + rng.normal(0.0, 0.4, size=2)
    beam_radius = np.hypot(cols - bx, rows - by)
    falloff = n_blocks * rng.uniform(0.085, 0.11)
    rate = np.exp(-beam_radius / falloff) + 0.12 * np.exp(-beam_radius / (3 * falloff))
    efficiency = hardware.lognormal(0.0, 0.08, size=rate.shape)
    edges = np.arange(n_blocks + 1, dtype=float)
    return {
        "values": _sample(rng, rate * efficiency * mask, entries),
        "edges": (edges, edges),
        "mask": mask,
        "xlabel": "Column",
        "ylabel": "Row",
        "zlabel": "Hits",
        "default_title": "Block occupancy",
    }


def _planes(rng, hardware, entries, *, n_planes, n_wires):
    wire = np.arange(n_wires) - (n_wires - 1) / 2
    offset = rng.normal(0.0, 0.8)
    width = n_wires * rng.uniform(0.15, 0.19)
    profile = 1.0 / (1.0 + ((wire - offset) / width) ** 2) + 0.06
    # Wires crossing the beam are deadened on purpose, so the centre always dips.
    profile = np.where(np.abs(wire) < 2.0, 0.3 * profile, profile)
    # Downstream packages (six planes each) sit further from the target and see fewer tracks.
    package = np.arange(n_planes) // 6
    package = 1.0 - 0.25 * package / max(1, package[-1])
    plane_gain = package * hardware.normal(1.0, 0.04, size=n_planes)
    efficiency = hardware.lognormal(0.0, 0.05, size=(n_planes, n_wires))
    rate = plane_gain[:, None] * profile[None, :] * efficiency
    return {
        "values": _sample(rng, rate, entries),
        "edges": (np.arange(n_planes + 1) + 0.5, np.arange(n_wires + 1) + 0.5),
        "xlabel": "Wire",
        "ylabel": "Plane",
        "zlabel": "Hits",
        "default_title": "Wire occupancy by plane",
    }


def _straws(rng, hardware, entries, *, straws_per_ring: Sequence[int] = CDC_STRAWS_PER_RING):
    counts = np.asarray(straws_per_ring, dtype=int)
    rings, width = counts.size, int(counts.max())
    straw = np.arange(width)
    mask = straw[None, :] < counts[:, None]
    ring_edges = np.linspace(CDC_INNER_RADIUS_CM, CDC_OUTER_RADIUS_CM, rings + 1)
    radius = 0.5 * (ring_edges[:-1] + ring_edges[1:])
    phi = 2 * np.pi * (straw[None, :] + 0.5) / counts[:, None]
    # An off-centre beam makes one side of the chamber busier than the other.
    asymmetry, beam_phi = rng.uniform(0.02, 0.07), rng.uniform(0, 2 * np.pi)
    per_straw = (CDC_INNER_RADIUS_CM / radius[:, None]) ** 1.0 * (1.0 + asymmetry * np.cos(phi - beam_phi))
    efficiency = hardware.lognormal(0.0, 0.06, size=mask.shape)
    return {
        "values": _sample(rng, per_straw * efficiency * mask, entries),
        "edges": (ring_edges, np.arange(width + 1, dtype=float)),
        "mask": mask,
        "xlabel": "x (cm)",
        "ylabel": "y (cm)",
        "zlabel": "Hits",
        "default_title": "Straw occupancy",
    }


def _paddles(rng, hardware, entries, *, n_channels=44, profile="beam"):
    paddle = np.arange(n_channels) - (n_channels - 1) / 2
    if profile == "beam":
        width = n_channels * rng.uniform(0.16, 0.2)
        shape = 1.0 / (1.0 + ((paddle - rng.normal(0, 0.3)) / width) ** 2) + 0.08
        # The two paddles beside the beam hole are half-length and see fewer hits.
        shape = np.where(np.abs(paddle) < 1.0, 0.55 * shape, shape)
    elif profile == "flat":
        phase = rng.uniform(0, 2 * np.pi)
        shape = 1.0 + 0.12 * np.cos(2 * np.pi * paddle / n_channels + phase)
    else:
        raise ValueError(f"unknown paddle1d profile {profile!r}; use 'beam' or 'flat'")
    efficiency = hardware.lognormal(0.0, 0.05, size=n_channels)
    return {
        "values": _sample(rng, shape * efficiency, entries),
        "edges": (np.arange(n_channels + 1) + 0.5,),
        "xlabel": "Paddle",
        "ylabel": "Hits",
        "default_title": "Paddle occupancy",
    }


def _timing(rng, hardware, entries, *, mean=0.0, sigma=0.5, low=-10.0, high=10.0, nbins=100, background=0.25):
    if not low < high or sigma <= 0 or nbins < 2 or not 0 <= background <= 1:
        raise ValueError("timing_peak needs low < high, sigma > 0, nbins >= 2, 0 <= background <= 1")
    edges = np.linspace(low, high, nbins + 1)
    peak_mean = mean + rng.normal(0.0, 0.1 * sigma)
    peak_sigma = sigma * rng.uniform(0.95, 1.05)
    peak = gaussian_bin_fractions(edges, peak_mean, peak_sigma)
    flat = np.full(nbins, 1.0 / nbins)
    shape = (1 - background) * peak + background * flat
    return {
        "values": _sample(rng, shape, entries),
        "edges": (edges,),
        "xlabel": r"$t - t_{RF}$ (ns)",
        "ylabel": "Counts",
        "default_title": "Timing",
    }


_BUILDERS = {
    "occupancy2d": _blocks,
    "polar_straw": _straws,
    "paddle1d": _paddles,
    "timing_peak": _timing,
}
