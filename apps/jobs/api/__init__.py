"""Read-only API for background jobs."""
