"""Synthetic monitoring plots of a GlueX-like detector, with emulated failures.

Histograms are built from a seed (``make_histogram``), optionally broken by a failure mode
(``apply_failure``) and drawn like a ROOT canvas (``render_png``). ``DEMO_PLOT_TYPES`` is a demo
detector's catalog; ``demo_plot`` gives the image and label of any plot type for any run.
Plain numpy and matplotlib (Agg, no pyplot): no Django, no TensorFlow.
"""

from .catalog import DEMO_PLOT_TYPES, DemoPlotType, choose_failure, demo_plot, failure_label
from .failures import FAILURE_MODES, apply_failure
from .histograms import PLOT_KINDS, Histogram, make_histogram
from .render import render_png

__all__ = [
    "DEMO_PLOT_TYPES",
    "FAILURE_MODES",
    "PLOT_KINDS",
    "DemoPlotType",
    "Histogram",
    "apply_failure",
    "choose_failure",
    "demo_plot",
    "failure_label",
    "make_histogram",
    "render_png",
]
