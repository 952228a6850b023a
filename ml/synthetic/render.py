"""Draw a Histogram as a PNG that looks like a ROOT canvas.

Only ``matplotlib.figure.Figure`` with the Agg canvas is used, never pyplot, so there is no
global figure registry: renders are independent and safe in threads and worker processes.
Layout is fixed by hand (no tight_layout), which keeps one image to a few tens of milliseconds.
"""

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
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
_CMAP = "viridis"  # closest stock map to ROOT's kBird palette


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
    # Fonts follow the canvas size so thumbnails and large renders keep the same look.
    size = 9.0 * min(width / 480, height / 360) ** 0.7
    if hist.values.ndim == 1:
        _draw_1d(fig, hist, size)
    else:
        _draw_2d(fig, hist, size, width, height)
    fig.text(0.5, 0.975, hist.title, ha="center", va="top", fontsize=size * 1.25, family=FONT)
    if run is not None:
        fig.text(0.012, 0.975, f"Run {run:06d}", ha="left", va="top", fontsize=size * 0.85,
                 family=FONT, color="#333333")  # fmt: skip
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[:height, :width, :3]
    if pixels.shape[:2] != (height, width):
        # Agg rounds the figure size; pad with canvas grey rather than return a wrong size.
        padded = np.full((height, width, 3), 0xE8, dtype=np.uint8)
        padded[: pixels.shape[0], : pixels.shape[1]] = pixels
        pixels = padded
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels), mode="RGB").save(out, format="PNG", compress_level=3)
    return out.getvalue()


def _style_axes(ax, hist: Histogram, size: float) -> None:
    ax.set_facecolor("white")
    ax.tick_params(which="both", direction="in", top=True, right=True, labelsize=size * 0.9,
                   labelfontfamily=FONT)  # fmt: skip
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
        segments = [
            [(t, a), (t, b)] if axis is ax.xaxis else [(a, t), (b, t)]
            for t in at
            for a, b in ends[0]
        ]
        ax.add_collection(LineCollection(segments, transform=transform, colors="black",
                                         linewidths=0.6, clip_on=False), autolim=False)  # fmt: skip


def _draw_1d(fig: Figure, hist: Histogram, size: float) -> None:
    ax = fig.add_axes((0.13, 0.12, 0.82, 0.74))
    values, edges = hist.values, hist.edges[0]
    if hist.kind == "paddle1d":
        ax.stairs(values, edges, fill=True, color=BAR_FILL, linewidth=0)
    ax.stairs(values, edges, color=ROOT_BLUE, linewidth=1.1)
    top = float(values.max()) if values.size else 0.0
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(0, top * 1.1 if top > 0 else 1.0)
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-5, 6))
    _style_axes(ax, hist, size)
    _minor_ticks(ax)
    centres = 0.5 * (edges[:-1] + edges[1:])
    total = float(values.sum())
    mean = float(np.dot(values, centres) / total) if total > 0 else 0.0
    spread = float(np.sqrt(max(np.dot(values, (centres - mean) ** 2) / total, 0.0))) if total > 0 else 0.0
    _stat_box(fig, [("Entries", _entries(total)), ("Mean", f"{mean:.4g}"), ("Std Dev", f"{spread:.4g}")],
              size)  # fmt: skip


def _draw_2d(fig: Figure, hist: Histogram, size: float, width: int, height: int) -> None:
    bottom, frame_h = 0.12, 0.74
    left = 0.12
    if hist.kind == "polar_straw" or hist.values.shape[0] == hist.values.shape[1]:
        # Square maps keep their aspect: size the frame in pixels, then place the colour bar.
        frame_w = frame_h * height / width
    else:
        frame_w = 0.68
    ax = fig.add_axes((left, bottom, frame_w, frame_h))
    cax = fig.add_axes((left + frame_w + 0.025, bottom, 0.03, frame_h))
    values = hist.values
    shown = np.ma.masked_where((values <= 0) | ~hist.channel_mask, values)
    top = float(values.max()) if values.size else 0.0
    norm = Normalize(vmin=0.0, vmax=top if top > 0 else 1.0)
    cmap = _colour_map()
    if hist.kind == "polar_straw":
        mappable = _polar_straws(ax, hist, shown, cmap, norm)
    else:
        y_edges, x_edges = hist.edges
        mappable = ax.pcolormesh(x_edges, y_edges, shown, cmap=cmap, norm=norm, shading="flat")
        ax.set_xlim(x_edges[0], x_edges[-1])
        ax.set_ylim(y_edges[0], y_edges[-1])
    _style_axes(ax, hist, size)
    _minor_ticks(ax)
    bar = fig.colorbar(mappable, cax=cax)
    bar.ax.tick_params(labelsize=size * 0.8, direction="in")
    bar.formatter.set_powerlimits((-5, 6))
    if hist.zlabel:
        fig.text(0.985, bottom + frame_h, hist.zlabel, rotation=90, ha="right", va="top",
                 fontsize=size * 0.9, family=FONT)  # fmt: skip
    _stat_box(fig, [("Entries", _entries(float(values.sum())))], size)


def _polar_straws(ax, hist: Histogram, shown, cmap, norm) -> PolyCollection:
    """Draw each straw as an annular sector: rings hold different numbers of straws."""
    ring_edges = hist.edges[0]
    counts = hist.channel_mask.sum(axis=1)
    polygons, colours = [], []
    arc = np.linspace(0.0, 1.0, 4)  # three chords per straw are enough to look round
    for ring, n in enumerate(counts):
        if n == 0:
            continue
        start = 2 * np.pi * np.arange(n) / n
        phi = start[:, None] + (2 * np.pi / n) * arc[None, :]
        r_in, r_out = ring_edges[ring], ring_edges[ring + 1]
        outline_phi = np.concatenate([phi, phi[:, ::-1]], axis=1)
        outline_r = np.concatenate([np.full_like(phi, r_in), np.full_like(phi, r_out)], axis=1)
        polygons.append(np.stack([outline_r * np.cos(outline_phi), outline_r * np.sin(outline_phi)], -1))
        colours.append(shown[ring, :n])
    collection = PolyCollection(np.concatenate(polygons), cmap=cmap, norm=norm, antialiased=False,
                                edgecolors="face", linewidths=0.15)  # fmt: skip
    collection.set_array(np.ma.concatenate(colours))
    ax.add_collection(collection)
    reach = ring_edges[-1] * 1.08
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    return collection


def _colour_map():
    from matplotlib import colormaps

    # Empty bins stay white, as ROOT's COLZ leaves them.
    return colormaps[_CMAP].with_extremes(bad="white", under="white")


def _stat_box(fig: Figure, rows: list[tuple[str, str]], size: float) -> None:
    width_px, height_px = fig.bbox.width, fig.bbox.height
    line = size * 1.45 / 72 * fig.dpi / height_px
    pad = 0.25 * line
    box_w = min(0.3, 13.5 * size / 72 * fig.dpi / width_px)
    x1, y1 = 0.985, 0.985
    y0 = y1 - len(rows) * line - 2 * pad
    fig.add_artist(Rectangle((x1 - box_w, y0), box_w, y1 - y0, transform=fig.transFigure,
                             facecolor="white", edgecolor="black", linewidth=0.8))  # fmt: skip
    for i, (name, value) in enumerate(rows):
        y = y1 - pad - (i + 0.5) * line
        fig.text(x1 - box_w + 0.012, y, name, ha="left", va="center", fontsize=size * 0.85, family=FONT)
        fig.text(x1 - 0.012, y, value, ha="right", va="center", fontsize=size * 0.85, family=FONT)


def _entries(total: float) -> str:
    return f"{int(round(total))}" if total < 1e7 else f"{total:.4g}"
