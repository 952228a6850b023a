"""/metrics in Prometheus text format, computed from the database at scrape time.

Why not process-local counters: the portal runs as several web processes and workers on several
machines; each would count only its own share, and prometheus-client's multiprocess mode needs a
shared directory on one machine. Every figure here is read from the tables all of them write, so
any process answers the same. Totals come from ``DailyTally`` (never pruned, so they only grow);
stage latencies are quantiles over trailing windows, exposed as gauges with ``window`` and
``quantile`` labels (a window's quantile can fall, so it is not a Prometheus summary's counter).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from apps.operations import status

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class DatabaseCollector:
    """One scrape: a handful of indexed queries, no table of plots counted."""

    def collect(self):
        yield from _totals_and_jobs()
        yield from _stage_latencies()
        yield from _ages()
        yield from _deliveries()


def _totals_and_jobs():
    totals = status.totals()
    yield _counter("hydra_plots_ingested", "Plots stored by ingest and upload.", totals["ingested"])
    yield _counter("hydra_classifications", "Images classified by a model.", totals["classified"])

    jobs = GaugeMetricFamily("hydra_jobs", "Background jobs by state.", labels=["state"])
    for state, n in status.job_states().items():
        jobs.add_metric([state], n)
    yield jobs

    queue = status.queue_figures()
    yield GaugeMetricFamily("hydra_queue_depth", "Jobs queued, waiting for a worker.", value=queue["queued"])
    yield GaugeMetricFamily(
        "hydra_outbox_unsent",
        "Queued jobs whose message has not reached the broker yet.",
        value=queue["outbox_unsent"],
    )


def _stage_latencies():
    latency = GaugeMetricFamily(
        "hydra_stage_latency_seconds",
        "Per-item time of a pipeline stage over a trailing window (quantile 0.5 and 0.95).",
        labels=["stage", "window", "quantile"],
    )
    items = GaugeMetricFamily(
        "hydra_stage_items", "Items through a pipeline stage in a trailing window.", labels=["stage", "window"]
    )
    for figure in status.stage_figures():
        for window, values in figure.windows.items():
            items.add_metric([figure.stage, window], values["items"])
            for q, key in (("0.5", "p50"), ("0.95", "p95")):
                if values[key] is not None:
                    latency.add_metric([figure.stage, window, q], values[key])
    yield latency
    yield items


def _ages():
    """The newest plot's age per experiment, and the oldest heartbeat among running jobs."""
    ages = GaugeMetricFamily(
        "hydra_newest_plot_age_seconds", "Age of the newest plot of an experiment.", labels=["experiment"]
    )
    for row in status.newest_plots():
        if row["age"] is not None:
            ages.add_metric([row["experiment"].slug], row["age"])
    yield ages

    beats = status.heartbeats()
    if beats:
        yield GaugeMetricFamily(
            "hydra_worker_heartbeat_age_seconds",
            "Oldest last heartbeat among running jobs.",
            value=max(b["age"] or 0.0 for b in beats),
        )


def _deliveries():
    failures = status.delivery_failures()
    if failures.available:
        failed = GaugeMetricFamily(
            "hydra_deliveries_failed",
            "Notification deliveries that failed in a trailing window.",
            labels=["window"],
        )
        failed.add_metric(["1h"], failures.last_hour)
        failed.add_metric(["24h"], failures.last_day)
        yield failed
        yield GaugeMetricFamily(
            "hydra_deliveries_retrying",
            "Notification deliveries queued again after a failed attempt.",
            value=failures.retrying,
        )


def _counter(name: str, documentation: str, value: int) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


def exposition() -> bytes:
    """The text a Prometheus server scrapes (a fresh registry per scrape: nothing is kept between)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return generate_latest(registry)
