"""Fixtures of the validation tests: a Dramatiq worker (in-process, or a real one on Redis in CI)."""

import dramatiq
import pytest

from hydra_portal.broker import InProcessBroker


@pytest.fixture
def worker():
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


def drain(broker, queue: str = "validation", timeout: int = 120_000) -> None:
    """Wait until the queue is empty and its jobs have run."""
    broker.join(queue, timeout=timeout)
    if isinstance(broker, InProcessBroker):
        broker.join_all(timeout=timeout)
