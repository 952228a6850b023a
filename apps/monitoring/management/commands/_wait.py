"""Waiting for jobs from a management command, whichever broker runs them."""

from __future__ import annotations

import time

import dramatiq

from apps.jobs.models import Job
from hydra_portal.broker import InProcessBroker


def in_process() -> bool:
    return isinstance(dramatiq.get_broker(), InProcessBroker)


def wait_for(jobs, write, poll: float = 1.0) -> list[Job]:
    """Block until every job is done or failed, echoing new messages; return them refreshed."""
    pending = {j.pk: j for j in jobs}
    seen: dict[int, str] = {}
    while pending:
        for job in Job.objects.filter(pk__in=list(pending)):
            if job.message and seen.get(job.pk) != job.message:
                seen[job.pk] = job.message
                write(f"  [{job.kind} #{job.pk}] {job.message}")
            if job.status in (Job.Status.DONE, Job.Status.FAILED):
                pending.pop(job.pk)
        if pending:
            time.sleep(poll)
    return list(Job.objects.filter(pk__in=[j.pk for j in jobs]).order_by("id"))


def finish(jobs, wait: bool, write) -> list[Job]:
    """Wait when asked, or when the worker lives in this very process (it would die with it)."""
    if not jobs:
        return []
    if wait or in_process():
        if in_process():
            from apps.jobs.relay import deliver

            deliver([j.pk for j in jobs])  # this command's own jobs run here, not in the server
        return wait_for(jobs, write)
    for job in jobs:
        write(f"  queued {job.kind} job #{job.pk}; follow it at /api/v1/jobs/{job.pk}/")
    return jobs
