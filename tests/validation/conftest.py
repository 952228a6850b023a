"""Helpers of the validation tests; the worker fixture is in tests/conftest.py."""

from hydra_portal.broker import InProcessBroker


def drain(broker, queue: str = "validation", timeout: int = 120_000) -> None:
    """Wait until the queue is empty and its jobs have run."""
    broker.join(queue, timeout=timeout)
    if isinstance(broker, InProcessBroker):
        broker.join_all(timeout=timeout)
