"""Process-pool entry for seed_demo; imports nothing from Django so spawned workers start fast."""

from __future__ import annotations


def render(job: tuple[str, int, int, str | None]) -> tuple[str, int, bytes, str]:
    """Render one demo plot from (plot type name, run, seed, failure)."""
    from ml.synthetic import DEMO_PLOT_TYPES, demo_plot

    name, run, seed, failure = job
    plot_type = next(p for p in DEMO_PLOT_TYPES if p.name == name)
    data, label = demo_plot(plot_type, run, seed, failure)
    return name, run, data, label
