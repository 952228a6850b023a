"""Draw a Histogram as a PNG that looks like a ROOT canvas.

Only ``matplotlib.figure.Figure`` with the Agg canvas is used, never pyplot, so there is no
global figure registry: renders are independent and safe in threads and worker processes.
Layout is fixed by hand (no tight_layout), which keeps one image to a few tens of milliseconds.
"""

import functools
import io

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import AutoMinorLocator
from PIL import Image

from .histograms import Histogram

CANVAS_GREY = "#e8e8e8"
ROOT_BLUE = "#000099"  # ROOT's default line colour, kBlue+2-ish
BAR_FILL = "#7d99d1"
FONT = "DejaVu Sans"  # ships with matplotlib, so every machine renders identical bytes
# viridis is the closest stock map to ROOT's kBird; empty bins stay white, as in ROOT's COLZ.
_COLOURS = colormaps["viridis"].with_extremes(bad="white", under="white")


def render_png(hist: Histogram, *, run: int | None = None, width: int = 480, height: int = 360) -> bytes:
    """Render ``hist`` to an RGB PNG of exactly ``width`` x ``height`` pixels.

    The canvas is light grey with a white plot frame, a centred title, axis labels aligned to
    the axis ends, a stat box in the upper right ("Entries", plus "Mean" and "Std Dev" for 1-D)
    and, for 2-D, a colour bar. ``run`` adds a "Run 080464" tag in the upper left. The output
    depends only on the arguments, so equal inputs give byte-identical files.
    """
    if width < 100 or height < 80:
        raise ValueError(f"canvas too small: {width}x{height} (minimum 100x80)")
    fig = Figure(figsize=(width / 100, height / 100), dpi=100, facecolor=CANVAS_GREY)
    canvas = FigureCanvasAgg(fig)
    # Fonts scale with the canvas, so every size is the 480x360 layout scaled: nothing clips.
    size = 9.0 * min(width / 480, height / 360)
    if hist.values.ndim == 1:
        _draw_1d(fig, hist, size)
    else:
        _draw_2d(fig, hist, size, width, height)
    fig.text(0.5, 0.975, hist.title, ha="center", va="top", fontsize=size * 1.25, family=FONT)
    if run is not None:
        fig.text(
            0.012, 0.975, f"Run {run:06d}", ha="left", va="top", fontsize=size * 0.85, family=FONT, color="#333333"
        )
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[:height, :width, :3]
    if pixels.shape[:2] != (height, width):
        # Agg rounds the figure size; pad with canvas grey rather than return a wrong size.
        padded = np.full((height, width, 3), 0xE8, dtype=np.uint8)
        padded[: pixels.shape[0], : pixels.shape[1]] = pixels
        pixels = padded
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(out, format="PNG", compress_level=3)
    return out.getvalue()


def _style_axes(ax, hist: Histogram, size: float) -> None:
    ax.set_facecolor("white")
    ax.tick_params(which="both", direction="in", top=True, right=True, labelsize=size * 0.9, labelfontfamily=FONT)
    ax.tick_params(which="major", length=5)
    ax.set_xlabel(hist.xlabel, loc="right", fontsize=size, family=FONT)
    ax.set_ylabel(hist.ylabel, loc="top", fontsize=size, family=FONT)


def _minor_ticks(ax, length_px: float = 2.5) -> None:
    """ROOT-style minor ticks on all four sides, drawn as one LineCollection.

    Matplotlib builds a Tick object (five artists) per minor tick, which made minor ticks the
    single largest cost of a render; a collection of plain segments looks the same.
    """
    frame = ax.get_position()
    fig_w, fig_h = ax.figure.bbox.width, ax.figure.bbox.height
    for axis, transform, extent in (
        (ax.xaxis, ax.get_xaxis_transform(), frame.height * fig_h),
        (ax.yaxis, ax.get_yaxis_transform(), frame.width * fig_w),
    ):
        locator = AutoMinorLocator()
        locator.set_axis(axis)
        low, high = sorted(axis.get_view_interval())
        at = [t for t in locator() if low <= t <= high]
        tick = length_px / extent
        ends = [((0.0, tick), (1.0, 1.0 - tick))]
        segments = [[(t, a), (t, b)] if axis is ax.xaxis else [(a, t), (b, t)] for t in at for a, b in ends[0]]
        ax.add_collection(
            LineCollection(segments, transform=transform, colors="black", linewidths=0.6, clip_on=False), autolim=False
        )


def _draw_1d(fig: Figure, hist: Histogram, size: float) -> None:
    ax = fig.add_axes((0.13, 0.12, 0.82, 0.74))
    values, edges = hist.values, hist.edges[0]
    if hist.kind == "paddle1d":
        ax.stairs(values, edges, fill=True, color=BAR_FILL, linewidth=0)
    ax.stairs(values, edges, color=ROOT_BLUE, linewidth=1.1)
    top = float(values.max()) if values.size else 0.0
    ax.set_xlim(edges[0], edges[-1])
    # Head room keeps the data clear of the stat box in the frame's corner.
    ax.set_ylim(0, top * 1.25 if top > 0 else 1.0)
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-5, 6))
    _style_axes(ax, hist, size)
    _minor_ticks(ax)
    centres = 0.5 * (edges[:-1] + edges[1:])
    total = float(values.sum())
    mean = float(np.dot(values, centres) / total) if total > 0 else 0.0
    spread = float(np.sqrt(max(np.dot(values, (centres - mean) ** 2) / total, 0.0))) if total > 0 else 0.0
    _stat_box(fig, [("Entries", _entries(total)), ("Mean", f"{mean:.4g}"), ("Std Dev", f"{spread:.4g}")], size)


def _draw_2d(fig: Figure, hist: Histogram, size: float, width: int, height: int) -> None:
    bottom, frame_h, bar_block = 0.12, 0.72, 0.2
    if hist.kind == "polar_straw" or hist.values.shape[0] == hist.values.shape[1]:
        # Square maps keep their aspect: size the frame in pixels and centre frame plus bar.
        frame_w = frame_h * height / width
        left = 0.12 + max(0.0, (0.86 - frame_w - bar_block) / 2)
    else:
        frame_w, left = 0.64, 0.12
    ax = fig.add_axes((left, bottom, frame_w, frame_h))
    cax = fig.add_axes((left + frame_w + 0.025, bottom, 0.03, frame_h))
    values = hist.values
    shown = np.ma.masked_where((values <= 0) | ~hist.channel_mask, values)
    top = float(values.max()) if values.size else 0.0
    norm = Normalize(vmin=0.0, vmax=top if top > 0 else 1.0)
    if hist.kind == "polar_straw":
        reach = float(hist.edges[0][-1]) * 1.08
        image = _polar_image(hist, shown, int(round(frame_w * width)), reach)
        mappable = ax.imshow(
            image,
            origin="lower",
            extent=(-reach, reach, -reach, reach),
            interpolation="nearest",
            cmap=_COLOURS,
            norm=norm,
            aspect="auto",
        )
    else:
        y_edges, x_edges = hist.edges
        mappable = ax.pcolormesh(x_edges, y_edges, shown, cmap=_COLOURS, norm=norm, shading="flat")
        ax.set_xlim(x_edges[0], x_edges[-1])
        ax.set_ylim(y_edges[0], y_edges[-1])
    _style_axes(ax, hist, size)
    _minor_ticks(ax)
    bar = fig.colorbar(mappable, cax=cax)
    bar.ax.tick_params(labelsize=size * 0.8, direction="in", labelfontfamily=FONT)
    bar.formatter.set_powerlimits((-5, 6))
    if hist.zlabel:
        bar.set_label(hist.zlabel, loc="top", fontsize=size * 0.9, family=FONT)
    _stat_box(fig, [("Entries", _entries(float(values.sum())))], size)


def _polar_image(hist: Histogram, shown: np.ma.MaskedArray, pixels: int, reach: float):
    """Rasterise the straw map at the frame's own resolution.

    Rings hold different numbers of straws, so no single mesh fits; a per-pixel lookup of
    (ring, straw) is both exact and far faster than thousands of polygons.
    """
    counts = tuple(int(n) for n in hist.channel_mask.sum(axis=1))
    ring, straw, inside = _straw_lookup(counts, tuple(hist.edges[0]), max(pixels, 16), reach)
    image = shown[ring, straw]
    return np.ma.masked_array(image.data, mask=np.ma.getmaskarray(image) | ~inside)


@functools.lru_cache(maxsize=16)
def _straw_lookup(counts: tuple[int, ...], ring_edges: tuple[float, ...], pixels: int, reach: float):
    centres = (np.arange(pixels) + 0.5) / pixels * 2 * reach - reach
    x, y = np.meshgrid(centres, centres)
    radius = np.hypot(x, y)
    phi = np.mod(np.arctan2(y, x), 2 * np.pi)
    ring = np.searchsorted(np.asarray(ring_edges), radius, side="right") - 1
    n = np.asarray(counts)
    inside = (ring >= 0) & (ring < n.size)
    ring = np.clip(ring, 0, n.size - 1)
    inside &= n[ring] > 0
    straw = np.minimum((phi / (2 * np.pi) * n[ring]).astype(int), np.maximum(n[ring] - 1, 0))
    for array in (ring, straw, inside):
        array.flags.writeable = False
    return ring, straw, inside


def _stat_box(fig: Figure, rows: list[tuple[str, str]], size: float) -> None:
    width_px, height_px = fig.bbox.width, fig.bbox.height
    line = size * 1.45 / 72 * fig.dpi / height_px
    pad = 0.25 * line
    box_w = min(0.3, 10.0 * size / 72 * fig.dpi / width_px)
    # Below the title band, overlapping the frame's corner as ROOT's stat box does.
    x1, y1 = 0.985, 0.925
    y0 = y1 - len(rows) * line - 2 * pad
    fig.add_artist(
        Rectangle(
            (x1 - box_w, y0),
            box_w,
            y1 - y0,
            transform=fig.transFigure,
            facecolor="white",
            edgecolor="black",
            linewidth=0.8,
        )
    )
    for i, (name, value) in enumerate(rows):
        y = y1 - pad - (i + 0.5) * line
        fig.text(x1 - box_w + 0.012, y, name, ha="left", va="center", fontsize=size * 0.85, family=FONT)
        fig.text(x1 - 0.012, y, value, ha="right", va="center", fontsize=size * 0.85, family=FONT)


def _entries(total: float) -> str:
    return f"{int(round(total))}" if total < 1e7 else f"{total:.4g}"
