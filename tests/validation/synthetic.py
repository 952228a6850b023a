"""Small synthetic monitoring plots for the validation tests, rendered once per test session."""

from __future__ import annotations

from functools import cache

from ml.synthetic import DEMO_PLOT_TYPES, Histogram, apply_failure, make_histogram, render_png

WIDTH, HEIGHT = 160, 120
BY_NAME = {d.name: d for d in DEMO_PLOT_TYPES}
FCAL = "FCAL_occupancy"
BCAL = "BCAL_timing"
TOF = "TOF_paddle_occupancy"
FDC = "FDC_plane_occupancy"
# A failure big enough that no test depends on where a random default lands.
FAILURE_PARAMS = {
    "dead_region": {"rows": (15, 45), "cols": (8, 30)},
    "hot_channels": {"channels": [29 * 59 + 33], "factor": 25.0},
}


@cache
def histogram(name: str, run: int, failure: str | None = None) -> Histogram:
    demo = BY_NAME[name]
    hist = make_histogram(demo.kind, run, entries=demo.entries, title=demo.title, **dict(demo.options))
    if failure is not None:
        params = FAILURE_PARAMS.get(failure, {}) if demo.kind == "occupancy2d" else {}
        hist = apply_failure(hist, failure, run, **params)
    return hist


@cache
def png(name: str, run: int, failure: str | None = None, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    return render_png(histogram(name, run, failure), run=run, width=width, height=height)


def canvas(pads: list[bytes], columns: int, background: int = 0xE8) -> bytes:
    """A multi-pad canvas (as ROOT's ``TCanvas::Divide``): the plots ``pads`` side by side, row by row."""
    import io

    import numpy as np
    from PIL import Image

    from ml.compare import load_image

    images = [load_image(p) for p in pads]
    height, width = images[0].shape[:2]
    rows = -(-len(images) // columns)
    out = np.full((rows * height, columns * width, 3), background, dtype=np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        out[r * height : (r + 1) * height, c * width : (c + 1) * width] = image
    buffer = io.BytesIO()
    Image.fromarray(out).save(buffer, format="PNG")
    return buffer.getvalue()
