"""Background sync of run conditions from the RCDB, reporting into a job record (kind sync_conditions)."""

import importlib.util
import logging

import dramatiq
from django.conf import settings

from apps.experiments.models import Experiment
from apps.experiments.rcdb_sync import SyncError, sync
from apps.jobs.models import Job
from apps.jobs.runner import enqueue, running

JOB_KIND = "sync_conditions"
log = logging.getLogger(__name__)
_warned = False


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
    """Queue a sync for every experiment that names its RCDB conditions."""
    return [queue_sync(exp, user=user) for exp in Experiment.objects.exclude(rcdb_conditions="")]


def queue_due() -> list:
    """The scheduler's periodic entry point (HYDRA_RCDB_SYNC_SECONDS): a sync for every experiment that
    names RCDB conditions and an RCDB (its own or HYDRA_RCDB_URL), unless one is still queued or running.
    Nothing is queued without the rcdb package (said once in the log)."""
    if importlib.util.find_spec("rcdb") is None:
        global _warned
        if not _warned:
            log.warning("run conditions are not synced: the rcdb package is not installed (pip install rcdb)")
            _warned = True
        return []
    busy = set(
        Job.objects.filter(kind=JOB_KIND, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).values_list(
            "params__experiment", flat=True
        )
    )
    experiments = Experiment.objects.exclude(rcdb_conditions="")
    if not getattr(settings, "RCDB_URL", ""):
        experiments = experiments.exclude(rcdb_url="")
    return [queue_sync(exp) for exp in experiments if exp.pk not in busy]
