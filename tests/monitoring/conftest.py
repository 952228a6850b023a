"""The model cache reset around each test, the users in each role by name, and waiting for jobs.

The users, ``roles`` and the worker are in tests/conftest.py.
"""

import pytest

import apps.monitoring.tasks  # noqa: F401  (declare the actors before any worker starts)


@pytest.fixture(autouse=True)
def fresh_model_cache():
    from apps.monitoring.classify import clear_cache

    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def people(roles, viewer, labeler, expert, admin):
    """The four users by role name, made after the roles are restored."""
    return {"viewer": viewer, "labeler": labeler, "expert": expert, "admin": admin}


def wait_for_jobs(kind: str, count: int = 1, timeout: float = 60.0):
    """Poll the job table until ``count`` jobs of ``kind`` are done or failed (any broker)."""
    import time

    from apps.jobs.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = list(Job.objects.filter(kind=kind).order_by("id"))
        if len(jobs) >= count and all(j.status in (Job.Status.DONE, Job.Status.FAILED) for j in jobs):
            return jobs
        time.sleep(0.05)
    raise AssertionError(f"{kind} jobs did not finish in {timeout} s: {list(Job.objects.values('kind', 'status'))}")
