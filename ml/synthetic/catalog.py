"""The demo detector: a GlueX-like set of plot types, and good or broken plots for any run.

Plots are a pure function of (plot type, run, seed, failure), so a demo database can be rebuilt
at will and a test can ask for the very image a page shows.
"""

from dataclasses import dataclass

from .failures import apply_failure
from .histograms import make_histogram, seeded_rng
from .render import render_png

_CHANNEL_FAILURES = ("dead_channels", "dead_region", "hot_channels", "gain_drift", "low_statistics")
_TIMING_FAILURES = ("peak_shift", "peak_broadening", "low_statistics")


@dataclass(frozen=True)
class DemoPlotType:
    """One monitoring plot type of the demo detector.

    ``options`` are keyword arguments for ``make_histogram`` (as pairs, so the type stays
    hashable) and ``entries`` the typical number of entries in a run.
    """

    name: str
    kind: str
    detector: str
    title: str
    failures: tuple[str, ...]
    description: str
    options: tuple[tuple[str, object], ...] = ()
    entries: int = 200_000


DEMO_PLOT_TYPES: tuple[DemoPlotType, ...] = (
    DemoPlotType(
        name="CDC_straw_occupancy",
        kind="polar_straw",
        detector="CDC",
        title="CDC straw occupancy",
        failures=(
            "dead_channels",
            "dead_region",
            "hot_channels",
            "missing_plane",
            "gain_drift",
            "low_statistics",
        ),
        entries=400_000,
        description="""\
Hits per straw in the Central Drift Chamber, drawn as its 28 rings seen along the beam. A good
plot is smooth: occupancy is highest on the inner rings and falls off steadily outwards, with
at most a mild left-right asymmetry from the beam position.

- **Dead straws**: isolated white cells.
- **Dead HV sector**: a white wedge across several neighbouring rings.
- **Hot straw**: one bright cell, with the rest of the chamber pushed to dark colours.
- **Missing ring**: a complete white circle.
- **Gain drift**: one half of the chamber visibly dimmer than the other.
- **Low statistics**: a speckled, noisy map.""",
    ),
    DemoPlotType(
        name="FDC_plane_occupancy",
        kind="occupancy2d",
        detector="FDC",
        title="FDC wire occupancy by plane",
        failures=(
            "dead_channels",
            "dead_region",
            "hot_channels",
            "missing_plane",
            "gain_drift",
            "low_statistics",
        ),
        options=(("layout", "planes"),),
        description="""\
Hits per wire for each of the 24 planes of the Forward Drift Chambers (4 packages of 6 planes).
A good plot shows a bright vertical band around the central wires, with a narrow dip at the
deadened wires that cross the beam, and each package slightly dimmer than the one upstream.

- **Dead wires**: white cells or short white stripes.
- **Dead region**: a white rectangle (a readout card or HV group).
- **Hot wire**: a single saturated cell, everything else dark.
- **Missing plane**: a complete white row.
- **Gain drift**: half the chamber dimmer.
- **Low statistics**: a noisy, speckled map.""",
    ),
    DemoPlotType(
        name="FCAL_occupancy",
        kind="occupancy2d",
        detector="FCAL",
        title="FCAL block occupancy",
        failures=_CHANNEL_FAILURES,
        options=(("layout", "blocks"),),
        description="""\
Hits per lead-glass block of the Forward Calorimeter, a 59x59 array with a round beam hole in
the middle and a round outer edge. A good plot is brightest around the beam hole and fades
smoothly and symmetrically towards the edge.

- **Dead blocks**: white cells inside the detector.
- **Dead region**: a white rectangle (a crate or HV board).
- **Hot block**: one saturated cell; the rest of the map turns dark.
- **Gain drift**: one half of the calorimeter dimmer than the other.
- **Low statistics**: sparse, noisy blocks.""",
    ),
    DemoPlotType(
        name="BCAL_timing",
        kind="timing_peak",
        detector="BCAL",
        title=r"BCAL $t - t_{RF}$",
        failures=_TIMING_FAILURES,
        options=(
            ("mean", 0.0),
            ("sigma", 0.45),
            ("low", -8.0),
            ("high", 8.0),
            ("nbins", 128),
            ("background", 0.3),
        ),
        description="""\
Barrel Calorimeter shower time relative to the accelerator RF. A good plot is a narrow Gaussian
peak centred at 0 ns (sigma about 0.45 ns) on a flat background from out-of-time hits.

- **Peak shift**: the peak sits away from 0 ns (a timing offset is out of date).
- **Peak broadening**: the peak is several times wider (bad channel-by-channel calibration).
- **Low statistics**: a ragged peak with few entries.""",
    ),
    DemoPlotType(
        name="TOF_paddle_occupancy",
        kind="paddle1d",
        detector="TOF",
        title="TOF paddle occupancy",
        failures=_CHANNEL_FAILURES,
        options=(("n_channels", 44), ("profile", "beam")),
        description="""\
Hits per paddle in one plane of the Time-of-Flight wall (44 paddles). A good plot is a smooth
bump centred on the beam line, with a dip at the two short paddles beside the beam hole.

- **Dead paddle**: a bar at zero.
- **Dead region**: several neighbouring bars at zero.
- **Hot paddle**: one bar far above the rest.
- **Gain drift**: one side of the bump lower than the other.
- **Low statistics**: a noisy profile with few entries.""",
    ),
    DemoPlotType(
        name="SC_paddle_occupancy",
        kind="paddle1d",
        detector="SC",
        title="Start counter paddle occupancy",
        failures=_CHANNEL_FAILURES,
        options=(("n_channels", 30), ("profile", "flat")),
        entries=100_000,
        description="""\
Hits per paddle of the Start Counter, the 30 scintillators around the target. A good plot is
nearly flat, with a gentle wave around the ring from the beam position.

- **Dead paddle**: a bar at zero.
- **Dead region**: a run of neighbouring bars at zero.
- **Hot paddle**: one bar far above the rest.
- **Gain drift**: one half of the paddles clearly lower.
- **Low statistics**: a ragged, noisy profile.""",
    ),
    DemoPlotType(
        name="RF_TOF_selftiming",
        kind="timing_peak",
        detector="RF",
        title="RF TOF self-timing",
        failures=_TIMING_FAILURES,
        options=(
            ("mean", 0.0),
            ("sigma", 0.012),
            ("low", -0.1),
            ("high", 0.1),
            ("nbins", 100),
            ("background", 0.02),
            ("xlabel", r"$\Delta t_{RF}$ (ns)"),
        ),
        entries=50_000,
        description="""\
Difference between two consecutive RF times measured in the TOF crate, folded to one beam
bunch. A good plot is a very narrow peak at 0 ns (sigma about 12 ps) with almost no background.

- **Peak shift**: the peak is off zero (clock or cable delay changed).
- **Peak broadening**: the peak is several times wider (RF signal jitter).
- **Low statistics**: only a handful of entries.""",
    ),
)


def failure_label(failure: str | None) -> str:
    """The label a plot with ``failure`` deserves: "Good", "NoData" (empty) or "Bad"."""
    if failure is None:
        return "Good"
    return "NoData" if failure == "empty" else "Bad"


def demo_plot(plot_type: DemoPlotType, run: int, seed: int, failure: str | None = None) -> tuple[bytes, str]:
    """Render the plot of ``plot_type`` for ``run``; return ``(png_bytes, label)``.

    The image depends only on the arguments. ``failure`` (any of FAILURE_MODES, or None for a
    good plot) breaks the histogram first; the label follows ``failure_label``.
    """
    # Runs differ in length, so the statistics vary around the plot type's typical count.
    entries = int(plot_type.entries * seeded_rng(seed, plot_type.name, run, "entries").uniform(0.7, 1.3))
    hist = make_histogram(
        plot_type.kind,
        _derived_seed(seed, plot_type.name, run),
        entries=entries,
        title=plot_type.title,
        **dict(plot_type.options),
    )
    if failure is not None:
        hist = apply_failure(hist, failure, _derived_seed(seed, plot_type.name, run, failure))
    return render_png(hist, run=run), failure_label(failure)


def choose_failure(
    plot_type: DemoPlotType, run: int, seed: int, bad_rate: float = 0.2, nodata_rate: float = 0.04
) -> str | None:
    """Decide, deterministically per (plot type, run, seed), whether and how a plot is broken.

    Returns None (a good plot) about ``1 - bad_rate - nodata_rate`` of the time, "empty" about
    ``nodata_rate`` of the time, and otherwise one of ``plot_type.failures`` chosen uniformly.
    """
    if bad_rate < 0 or nodata_rate < 0 or bad_rate + nodata_rate > 1:
        raise ValueError(f"rates must be >= 0 and sum to <= 1, got {bad_rate} and {nodata_rate}")
    rng = seeded_rng(seed, "choose", plot_type.name, run)
    draw = rng.random()
    if draw < nodata_rate:
        return "empty"
    if draw < nodata_rate + bad_rate and plot_type.failures:
        return plot_type.failures[int(rng.integers(len(plot_type.failures)))]
    return None


def _derived_seed(seed: int, *tags: object) -> int:
    return int(seeded_rng(seed, *tags).integers(2**63))
