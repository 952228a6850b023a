"""API for plot types, plot groups and plots, including uploads."""
