"""A throw-away portal for the browser benchmarks: embedded settings, uvicorn on a free port, Chromium flags."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def embedded_env(folder: Path) -> dict[str, str]:
    """This process's environment pointed at an embedded portal in ``folder`` (SQLite, in-process worker)."""
    env = {**os.environ, "HYDRA_VAR_DIR": str(folder), "HYDRA_DEBUG": "1", "PYTHONPATH": str(ROOT)}
    env["DJANGO_SETTINGS_MODULE"] = "hydra_portal.settings"
    for name in ("HYDRA_DATABASE_URL", "HYDRA_REDIS_URL", "HYDRA_BROKER_URL"):
        env.pop(name, None)
    return env


@contextmanager
def served(env: dict[str, str]) -> Iterator[str]:
    """Serve the portal with uvicorn on loopback while the block runs; yield its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "hydra_portal.asgi:application", "--port", str(port)]
    server = subprocess.Popen([*command, "--log-level", "warning"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
