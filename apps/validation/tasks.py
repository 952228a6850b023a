"""Background jobs of the validation app: thin Dramatiq actors that report into a Job and call the services."""

from __future__ import annotations

import dramatiq

from apps.jobs.models import Job
from apps.jobs.runner import JobTaken, enqueue, running
from apps.plots.models import PlotType
from apps.validation.choices import ReportStatus

QUEUE = "validation"
HOURS = 3600 * 1000


def _reporter(job):
    return lambda progress, message: job.report(progress, message)


@dramatiq.actor(queue_name=QUEUE, max_retries=0, time_limit=6 * HOURS)
def compute_map(
    job_id: int, plot_type: int, method: str = "autoencoder", engine: str = "auto", clusters: str = "kmeans"
):
    from apps.validation import embedding_maps

    with running(job_id) as job:
        space = embedding_maps.compute(
            PlotType.objects.get(pk=plot_type),
            method,
            engine=engine,
            cluster_method=clusters,
            job=job,
            progress=_reporter(job),
        )
        job.finish(
            f"map of {space.n_points} plots, {space.n_clusters} clusters ({space.engine})",
            space=space.pk,
            points=space.n_points,
            clusters=space.n_clusters,
        )


@dramatiq.actor(queue_name=QUEUE, max_retries=0, time_limit=6 * HOURS)
def train_autoencoder(
    job_id: int, plot_type: int, epochs: int = 30, force: bool = False, quantile: float | None = None
):
    from apps.validation import anomalies

    with running(job_id) as job:
        # Too few normal plots fails the job with the reason (TooFewNormal's message).
        row, trained = anomalies.train(
            PlotType.objects.get(pk=plot_type),
            epochs=epochs,
            quantile=quantile,
            job=job,
            progress=_reporter(job),
            force=force,
        )
        job.finish(
            f"autoencoder #{row.pk} {'trained' if trained else 'unchanged'}; threshold {row.threshold:.4g}",
            autoencoder=row.pk,
            trained=trained,
            anomalous=row.scores.filter(anomalous=True).count(),
        )


@dramatiq.actor(queue_name=QUEUE, max_retries=0, time_limit=6 * HOURS)
def train_siamese(job_id: int, plot_type: int, epochs: int = 15, force: bool = False):
    from apps.validation import similarity

    with running(job_id) as job:
        row, trained = similarity.train(
            PlotType.objects.get(pk=plot_type), epochs=epochs, job=job, progress=_reporter(job), force=force
        )
        job.finish(f"Siamese model #{row.pk} {'trained' if trained else 'unchanged'}", siamese=row.pk, trained=trained)


@dramatiq.actor(queue_name=QUEUE, max_retries=0, time_limit=2 * HOURS)
def compute_report(job_id: int, report: int):
    from apps.validation import reports
    from apps.validation.models import ValidationReport

    row = ValidationReport.objects.select_related("campaign", "reference").get(pk=report)
    try:
        with running(job_id) as job:
            reports.compute(row, progress=_reporter(job), job=job)
            job.finish(row.message, report=row.pk, **row.summary.get("counts", {}))
    except JobTaken:
        raise  # another delivery of this message runs the report
    except Exception as exc:
        ValidationReport.objects.filter(pk=report).update(status=ReportStatus.FAILED, message=str(exc)[:500])
        raise


@dramatiq.actor(queue_name=QUEUE, max_retries=0, time_limit=2 * HOURS)
def process_new_plots(job_id: int, plot_types: list[int]):
    """Put new plots on existing maps and score them with existing autoencoders (nothing is retrained)."""
    from apps.validation import anomalies, embedding_maps
    from apps.validation.models import EmbeddingSpace

    with running(job_id) as job:
        placed = scored = 0
        for i, pk in enumerate(plot_types, start=1):
            for space in EmbeddingSpace.objects.filter(plot_type_id=pk):
                placed += embedding_maps.place_new(space)
            row = anomalies.active(pk)
            if row is not None:
                scored += anomalies.score_missing(row)
            job.report(i / len(plot_types), f"{i}/{len(plot_types)} plot types")
        job.finish(f"placed {placed} plots on maps, scored {scored}", placed=placed, scored=scored)


# -- queueing, with one waiting job per target at most ----------------------------------------------------------------

KINDS = {
    compute_map: "validation.map",
    train_autoencoder: "validation.autoencoder",
    train_siamese: "validation.siamese",
    compute_report: "validation.report",
    process_new_plots: "validation.incoming",
}


def queued(kind: str, **params) -> Job | None:
    """A job of ``kind`` with these params that has not started yet (a new request can ride on it)."""
    for job in Job.objects.filter(kind=kind, status=Job.Status.QUEUED).order_by("-id")[:50]:
        if all(job.params.get(k) == v for k, v in params.items()):
            return job
    return None


def start(actor, *, title: str, user=None, dedupe: tuple[str, ...] = (), **params) -> Job:
    """Enqueue ``actor`` unless an identical job (same ``dedupe`` params) is still waiting; return the job."""
    kind = KINDS[actor]
    waiting = queued(kind, **{k: params[k] for k in dedupe}) if dedupe else None
    return waiting or enqueue(actor, kind=kind, title=title, user=user, **params)


def start_report(report, user=None) -> Job:
    from apps.validation.models import ValidationReport

    job = start(compute_report, title=f"Validate {report}", user=user, dedupe=("report",), report=report.pk)
    ValidationReport.objects.filter(pk=report.pk).update(job=job)
    return job
