"""Real worker processes for the job tests: ``manage.py rundramatiq`` against Redis or RabbitMQ,
a throw-away redis-server to stop and start, and the test's own broker to send through.

A missing service skips the test locally and fails it in CI (see tests/services.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import dramatiq
import pytest
from django.conf import settings
from django.db import connection

from tests.services import require_program, strict

ROOT = Path(__file__).resolve().parent.parent
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
# A Redis database of these tests' own on the shared server: flushing it touches nobody else's queues.
REDIS_URL = "redis://127.0.0.1:6379/14"


def require_port(port: int, what: str) -> None:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        message = f"{what} is not running on 127.0.0.1:{port}"
        if strict():
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The test database, as a URL the worker processes can open."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"mysql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 3306}/{s['NAME']}"


@contextmanager
def sending_to(url: str):
    """Make this test process send job messages to the broker at ``url`` (the web process's part)."""
    from django.utils.module_loading import autodiscover_modules

    from hydra_portal.broker import CloseDjangoConnections, make_broker

    autodiscover_modules("tasks")  # every actor declared on this process's own broker first
    before = dramatiq.get_broker()
    broker = make_broker(url)
    broker.add_middleware(CloseDjangoConnections())
    for name in before.get_declared_actors():
        broker.declare_actor(before.get_actor(name))
    broker.flush_all()  # messages of an earlier run would name job ids that exist again
    dramatiq.set_broker(broker)
    try:
        yield broker
    finally:
        dramatiq.set_broker(before)
        for name in broker.get_declared_actors() - before.get_declared_actors():
            before.declare_actor(broker.get_actor(name))  # declared while this broker stood in
        broker.close()


class Workers:
    """``manage.py rundramatiq`` in a session of its own, so it and its worker processes stop together."""

    def __init__(self, broker_url: str, log: Path, processes: int = 2, queues=("ingest",), **env):
        self.log = log
        environment = {
            **os.environ,
            "HYDRA_DEBUG": "true",
            "HYDRA_DATABASE_URL": database_url(),
            "HYDRA_BROKER_URL": broker_url,
            "HYDRA_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "HYDRA_RELAY_INTERVAL": "0.2",
            "HYDRA_JOB_HEARTBEAT_INTERVAL": "0.3",
            **{k: str(v) for k, v in env.items()},
        }
        argv = [sys.executable, "manage.py", "rundramatiq", "-p", str(processes), "-t", "1", "-Q", *queues]
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                argv, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self, sig=signal.SIGKILL) -> None:
        """Signal the whole group: the dramatiq main process and every worker process."""
        if self.proc.poll() is None or sig == signal.SIGKILL:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # a worker process the main one left behind
        except ProcessLookupError:
            pass


class ThrowawayRedis:
    """A redis-server on a free port with its data under ``root``; each write is on disk before it answers,
    so a message it took survives a crash (as a production broker configured for it would)."""

    def __init__(self, root: Path):
        self.binary = require_program("redis-server", "apt-get install redis-server")
        self.dir = root / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> ThrowawayRedis:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)]
        args += ["--save", "", "--appendonly", "yes", "--appendfsync", "always", "--logfile", "redis.log"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on {self.port}") from None
                time.sleep(0.1)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None


def wait_for(condition, timeout: float, what, poll: float = 0.2):
    """Poll ``condition`` until it returns something true; fail with ``what()`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"not within {timeout} s: {what()}")
