"""Dramatiq broker set-up from settings.

``HYDRA_BROKER_URL`` picks Redis (``redis://``) or RabbitMQ (``amqp://``); worker processes
then run with ``manage.py rundramatiq`` on any number of machines. Without it, messages go
to an in-process broker whose worker threads start on the first message, so the embedded
set-up needs no other process.
"""

from __future__ import annotations

import threading

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Middleware

IN_PROCESS_THREADS = 2


class CloseDjangoConnections(Middleware):
    """Workers are long-lived threads: drop dead or expired database connections around each message.

    Before too: after a database restart the thread's persistent connection is dead, and the first
    job would fail before it is even marked started.
    """

    def before_process_message(self, broker, message):
        from django.db import close_old_connections

        close_old_connections()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        from django.db import close_old_connections

        close_old_connections()

    after_skip_message = after_process_message


class RelayInWorker(Middleware):
    """Each worker process also runs the relay: sends what waits in the outbox, requeues dead workers' jobs."""

    def after_worker_boot(self, broker, worker):
        from apps.jobs.relay import start_relay

        start_relay()

    def after_worker_shutdown(self, broker, worker):
        # Stopped (SIGTERM) and the shutdown timeout passed with jobs unfinished: hand them back now.
        from apps.jobs.runner import hand_back_running

        hand_back_running()


class InProcessBroker(StubBroker):
    """A stub broker with its own worker threads, started lazily on the first enqueue.

    ``hand_off`` is set in a short-lived command: its jobs would die with it, so their messages
    wait in the outbox for the serving process's relay instead of being sent here.
    """

    hand_off = False

    def __init__(self, *args, **kwargs):
        # A failed task is recorded in its job; waiting for a queue must not re-raise it.
        kwargs.setdefault("fail_fast_default", False)
        super().__init__(*args, **kwargs)
        self._worker = None
        self._lock = threading.Lock()

    def enqueue(self, message, *, delay=None):
        self.start_worker()
        return super().enqueue(message, delay=delay)

    def start_worker(self):
        with self._lock:
            if self._worker is None:
                self._worker = dramatiq.Worker(self, worker_threads=IN_PROCESS_THREADS, worker_timeout=100)
                self._worker.start()
        return self._worker

    def join_all(self, timeout: int = 60_000) -> None:
        """Wait until every queue is empty and the worker is idle (tests and commands)."""
        for queue in list(self.queues):
            self.join(queue, timeout=timeout)
        if self._worker is not None:
            self._worker.join()


def make_broker(url: str):
    if url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url)
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url)
    return InProcessBroker()


def setup_broker():
    from django.conf import settings

    broker = make_broker(settings.BROKER_URL)
    broker.add_middleware(CloseDjangoConnections())
    dramatiq.set_broker(broker)
    return broker
