"""Background sync of run conditions from the RCDB, reporting into a job record (kind sync_conditions)."""

import dramatiq

from apps.experiments.models import Experiment
from apps.experiments.rcdb_sync import SyncError, sync
from apps.jobs.runner import enqueue, running

JOB_KIND = "sync_conditions"


@dramatiq.actor(queue_name="ingest", max_retries=0, time_limit=2 * 3600 * 1000)
def sync_conditions_job(job_id: int, experiment: int, run_min: int | None = None, run_max: int | None = None):
    with running(job_id) as job:
        exp = Experiment.objects.get(pk=experiment)
        try:
            result = sync(exp, run_min=run_min, run_max=run_max, progress=job.report)
        except SyncError as exc:
            job.fail(str(exc))
            return
        job.finish(result.summary(), **result.as_dict())


def queue_sync(experiment: Experiment, user=None, run_min: int | None = None, run_max: int | None = None):
    """Queue a sync of ``experiment``'s conditions (the scheduler's periodic job calls this)."""
    return enqueue(
        sync_conditions_job,
        kind=JOB_KIND,
        title=f"Sync run conditions of {experiment.name} from the RCDB",
        user=user,
        experiment=experiment.pk,
        run_min=run_min,
        run_max=run_max,
    )


def queue_all(user=None) -> list:
    """Queue a sync for every experiment that names its RCDB conditions (periodic entry point)."""
    return [queue_sync(exp, user=user) for exp in Experiment.objects.exclude(rcdb_conditions="")]
