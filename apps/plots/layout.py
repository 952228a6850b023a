"""Where a plot comes from, read off its file path.

The default layout is Hydra's: ``RunPeriod-2021-08/Run080464/RF_TOF_selftiming-02_0037.png``
(run period / run / plot type, a trailing ``_NNNN`` is the chunk). Any other layout is a
regular expression with named groups ``run_period``, ``run``, ``plot_type``, ``chunk``
and ``campaign``; only ``run`` and ``plot_type`` are required.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")

HYDRA_LAYOUT = (
    r"(?:^|/)(?P<run_period>[^/]+)/Run(?P<run>\d+)/"
    r"(?P<plot_type>[^/]+?)(?:_(?P<chunk>\d{4}))?\.(?i:png|jpe?g|gif|webp)$"
)
REQUIRED_GROUPS = {"run", "plot_type"}
KNOWN_GROUPS = {"run_period", "run", "plot_type", "chunk", "campaign"}


class LayoutError(ValueError):
    pass


@dataclass(frozen=True)
class PlotRef:
    """The slot a file fills: which plot type, run, run period, campaign and chunk."""

    plot_type: str
    run: int
    run_period: str
    chunk: int
    campaign: str | None


def compile_layout(pattern: str | None) -> re.Pattern:
    """Compile a layout regex, checking that it names the groups a plot needs."""
    try:
        regex = re.compile(pattern or HYDRA_LAYOUT)
    except re.error as exc:
        raise LayoutError(f"the pattern is not a valid regular expression: {exc}") from None
    names = set(regex.groupindex)
    missing = REQUIRED_GROUPS - names
    if missing:
        raise LayoutError(f"the pattern needs named groups {sorted(missing)} (e.g. (?P<run>\\d+))")
    unknown = names - KNOWN_GROUPS
    if unknown:
        raise LayoutError(f"unknown named groups {sorted(unknown)}; use {sorted(KNOWN_GROUPS)}")
    return regex


def parse(relpath: str, regex: re.Pattern, default_period: str = "default") -> PlotRef | None:
    """The PlotRef for a path relative to the ingest root, or None when it does not match."""
    match = regex.search(relpath.replace("\\", "/"))
    if not match:
        return None
    groups = match.groupdict()
    plot_type = groups["plot_type"].strip()
    try:
        run = int(groups["run"])
        chunk = int(groups.get("chunk") or 0)
    except ValueError:
        return None
    if not plot_type:
        return None
    return PlotRef(
        plot_type=plot_type,
        run=run,
        run_period=(groups.get("run_period") or default_period).strip(),
        chunk=chunk,
        campaign=(groups.get("campaign") or None),
    )
