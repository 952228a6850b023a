"""API for experiments, run periods, runs and campaigns."""
