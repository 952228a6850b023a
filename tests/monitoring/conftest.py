"""A plot type with labeled plots, users in each role, and the worker (in-process, or Redis in CI)."""

import dramatiq
import pytest

import apps.monitoring.tasks  # noqa: F401  (declare the actors before any worker starts)
from apps.accounts.roles import ADMIN, DETECTOR_EXPERT, LABELER, VIEWER
from hydra_portal.broker import InProcessBroker
from tests import factories


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_model_cache():
    from apps.monitoring.classify import clear_cache

    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def roles(db):
    """The roles with their monitoring permissions (also after a transactional test's flush)."""
    factories.restore_roles()
    factories.grant_monitoring_roles()


@pytest.fixture
def people(roles):
    return {
        "viewer": factories.user("viewer", roles=[VIEWER]),
        "labeler": factories.user("labeler", roles=[LABELER]),
        "expert": factories.user("expert", roles=[DETECTOR_EXPERT]),
        "admin": factories.user("admin", roles=[ADMIN]),
    }


@pytest.fixture
def worker():
    """The in-process worker, or a real worker thread on the Redis broker in CI."""
    broker = dramatiq.get_broker()
    if isinstance(broker, InProcessBroker):
        broker.start_worker()
        yield broker
        broker.join_all()
        return
    started = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    started.start()
    yield broker
    started.stop()


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
