"""Validation pages: overview, campaign reports, the explore map, rankings, compare to reference, simulate."""

from apps.validation.views.compare import compare_difference, compare_errors, compare_page, compare_siamese
from apps.validation.views.explore import different, explore, map_compute, map_points, model_train, plot_thumbnail
from apps.validation.views.reports import overview, report_create, report_page, report_recompute, thresholds_save
from apps.validation.views.simulate import simulate_page

__all__ = [
    "compare_difference",
    "compare_errors",
    "compare_page",
    "compare_siamese",
    "different",
    "explore",
    "map_compute",
    "map_points",
    "model_train",
    "overview",
    "plot_thumbnail",
    "report_create",
    "report_page",
    "report_recompute",
    "simulate_page",
    "thresholds_save",
]
