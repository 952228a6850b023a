"""ROOT histograms in and out: read TH1/TH2 with uproot into ``ml.synthetic.Histogram``, write them back.

A monitoring job's ROOT file holds the histograms; a YAML config says which ones become which
plot types and how to draw them::

    run_period: RunPeriod-2025-01      # optional, the default for plots made from these files
    defaults: {width: 480, height: 360}
    histograms:
      - path: CDC/cdc_occupancy        # the histogram's path inside the file
        plot_type: CDC_occupancy
        draw: colz                     # colz (2-D map), bar (filled bars) or hist (line); from the class if absent
        title: CDC occupancy           # overrides the histogram's own title
        xlabel: Straw                  # likewise for the axes
        ylabel: Ring

``render`` draws with ``ml.synthetic.render_png``: a ROOT-like canvas (grey pad, stat box, colour
bar, inward ticks), the same way the synthetic plots and the simulated failures are drawn, so a
failure re-rendered from the data looks like the original. Histograms can be kept as ``.npz`` so
failures can be simulated from them later without the ROOT file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ml.synthetic import Histogram, render_png

DRAW_KINDS = {"colz": "occupancy2d", "bar": "paddle1d", "hist": "timing_peak"}


class ConfigError(ValueError):
    """A histograms.yaml that cannot be used, with a message that says where."""


@dataclass(frozen=True)
class HistogramSpec:
    """One configured histogram: where it is in the file, which plot type it becomes, how it is drawn."""

    path: str
    plot_type: str
    draw: str | None = None
    title: str | None = None
    xlabel: str | None = None
    ylabel: str | None = None
    zlabel: str | None = None
    width: int = 480
    height: int = 360


@dataclass
class LaunchConfig:
    histograms: list[HistogramSpec]
    run_period: str | None = None
    extra: dict = field(default_factory=dict)


def load_config(source) -> LaunchConfig:
    """Parse a YAML config (a path, YAML text, or an already loaded dict) into a LaunchConfig."""
    import yaml

    if isinstance(source, dict):
        raw = source
    else:
        text = Path(source).read_text() if os.path.exists(str(source)) else str(source)
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"the config is not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("histograms"), list) or not raw["histograms"]:
        raise ConfigError("the config needs a non-empty list under 'histograms'")
    defaults = raw.get("defaults") or {}
    known = set(HistogramSpec.__dataclass_fields__)
    specs = []
    for i, entry in enumerate(raw["histograms"], start=1):
        if not isinstance(entry, dict) or not entry.get("path") or not entry.get("plot_type"):
            raise ConfigError(f"histogram #{i} needs 'path' and 'plot_type'")
        values = {**defaults, **entry}
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"histogram #{i} ({entry['path']}): unknown keys {sorted(unknown)}")
        if values.get("draw") and values["draw"] not in DRAW_KINDS:
            raise ConfigError(f"histogram #{i} ({entry['path']}): draw must be one of {sorted(DRAW_KINDS)}")
        specs.append(HistogramSpec(**values))
    return LaunchConfig(specs, raw.get("run_period"), {k: v for k, v in raw.items() if k not in ("histograms",)})


def _axis_title(hist, member: str) -> str:
    try:
        return str(hist.member(member).member("fTitle") or "")
    except Exception:  # uproot models differ by class version; a missing title is no error
        return ""


def from_uproot(hist, spec: HistogramSpec) -> Histogram:
    """Convert an uproot TH1/TH2 into a Histogram drawn as ``spec`` says (flow bins dropped)."""
    classname = getattr(hist, "classname", type(hist).__name__)
    arrays = hist.to_numpy(flow=False)
    title = spec.title or getattr(hist, "title", "") or spec.path.rsplit("/", 1)[-1]
    if len(arrays) == 3:
        values, x_edges, y_edges = arrays
        kind = DRAW_KINDS.get(spec.draw or "colz")
        if kind != "occupancy2d":
            raise ValueError(f"{spec.path} is a 2-D histogram ({classname}); draw it with colz")
        # uproot gives values[x, y]; Histogram keeps rows first: values[y, x], edges (y, x).
        return Histogram(
            kind="occupancy2d",
            values=np.asarray(values, dtype=float).T,
            edges=(np.asarray(y_edges, dtype=float), np.asarray(x_edges, dtype=float)),
            title=title,
            xlabel=spec.xlabel or _axis_title(hist, "fXaxis") or "x",
            ylabel=spec.ylabel or _axis_title(hist, "fYaxis") or "y",
            zlabel=spec.zlabel or "Entries",
        )
    if len(arrays) != 2:
        raise ValueError(f"{spec.path}: only TH1 and TH2 histograms can be drawn, not {classname}")
    values, edges = arrays
    draw = spec.draw or "hist"
    if draw == "colz":
        raise ValueError(f"{spec.path} is a 1-D histogram ({classname}); draw it with hist or bar")
    return Histogram(
        kind=DRAW_KINDS[draw],
        values=np.asarray(values, dtype=float),
        edges=(np.asarray(edges, dtype=float),),
        title=title,
        xlabel=spec.xlabel or _axis_title(hist, "fXaxis") or "x",
        ylabel=spec.ylabel or _axis_title(hist, "fYaxis") or "Entries",
    )


def read(path, specs: Iterable[HistogramSpec]) -> list[tuple[HistogramSpec, Histogram | None, str]]:
    """Read every spec'd histogram from one ROOT file: ``(spec, histogram or None, problem)`` each."""
    import uproot

    out = []
    with uproot.open(path) as handle:
        for spec in specs:
            try:
                out.append((spec, from_uproot(handle[spec.path], spec), ""))
            except KeyError:
                out.append((spec, None, f"no histogram {spec.path!r} in {Path(path).name}"))
            except (ValueError, TypeError) as exc:
                out.append((spec, None, str(exc)))
    return out


def render(hist: Histogram, spec: HistogramSpec | None = None, run: int | None = None) -> bytes:
    """The histogram as a ROOT-style PNG of the spec's size."""
    width, height = (spec.width, spec.height) if spec else (480, 360)
    return render_png(hist, run=run, width=width, height=height)


def _to_root_object(name: str, hist: Histogram):
    from uproot.writing import identify as I

    def axis(axis_name, title, edges):
        edges = np.asarray(edges, dtype=float)
        uniform = np.allclose(np.diff(edges), np.diff(edges)[0])
        return I.to_TAxis(
            axis_name, title, len(edges) - 1, float(edges[0]), float(edges[-1]), None if uniform else edges
        )

    values = np.asarray(hist.values, dtype=float)
    if values.ndim == 1:
        (edges,) = hist.edges
        centres = 0.5 * (edges[:-1] + edges[1:])
        data = np.concatenate([[0.0], values, [0.0]])
        return I.to_TH1x(
            name,
            hist.title,
            data,
            float(values.sum()),
            float(values.sum()),
            float(values.sum()),
            float((values * centres).sum()),
            float((values * centres**2).sum()),
            data.copy(),
            axis("xaxis", hist.xlabel, edges),
            axis("yaxis", hist.ylabel, np.array([0.0, 1.0])),
        )
    y_edges, x_edges = hist.edges
    # ROOT stores 2-D bins x-fastest with one flow bin on each side of each axis.
    padded = np.zeros((values.shape[0] + 2, values.shape[1] + 2))
    padded[1:-1, 1:-1] = values
    data = padded.ravel()
    total = float(values.sum())
    return I.to_TH2x(
        name,
        hist.title,
        data,
        total,
        total,
        total,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        data.copy(),
        axis("xaxis", hist.xlabel, x_edges),
        axis("yaxis", hist.ylabel, y_edges),
    )


def write(path, histograms: dict[str, Histogram]) -> None:
    """Write Histograms to a new ROOT file as TH1D/TH2D with titles and axis titles (keys may hold folders)."""
    import uproot

    with uproot.recreate(path) as handle:
        for key, hist in histograms.items():
            handle[key] = _to_root_object(key.rsplit("/", 1)[-1], hist)


def save_npz(hist: Histogram, path) -> None:
    """Keep a Histogram as .npz (atomically), so failures can be simulated from it later."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".npz")
    os.close(fd)
    arrays = {f"edges{i}": e for i, e in enumerate(hist.edges)}
    if hist.mask is not None:
        arrays["mask"] = hist.mask
    try:
        np.savez_compressed(
            tmp,
            values=hist.values,
            meta=np.array([hist.kind, hist.title, hist.xlabel, hist.ylabel, hist.zlabel]),
            **arrays,
        )
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_npz(path) -> Histogram:
    """The Histogram saved by ``save_npz``."""
    with np.load(path, allow_pickle=False) as data:
        kind, title, xlabel, ylabel, zlabel = (str(v) for v in data["meta"])
        edges = tuple(data[f"edges{i}"] for i in range(2) if f"edges{i}" in data)
        mask = data["mask"] if "mask" in data else None
        return Histogram(
            kind=kind,
            values=data["values"],
            edges=edges,
            title=title,
            xlabel=xlabel,
            ylabel=ylabel,
            zlabel=zlabel,
            mask=mask,
        )


def retitled(hist: Histogram, **labels) -> Histogram:
    """A copy with some of title/xlabel/ylabel/zlabel replaced (None leaves one as it is)."""
    return replace(hist, **{k: v for k, v in labels.items() if v is not None})
