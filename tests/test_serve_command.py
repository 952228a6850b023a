"""``manage.py serve``, the server of make demo and production, in a real process of its own."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """Base URL of ``manage.py serve`` on a fresh SQLite database, and the server's output."""
    env = {
        **os.environ,
        "HYDRA_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "HYDRA_MEDIA_ROOT": str(tmp_path / "media"),
        "HYDRA_DEBUG": "true",
    }
    for name in ("HYDRA_REDIS_URL", "HYDRA_BROKER_URL", "HYDRA_CHANNEL_PREFIX"):
        env.pop(name, None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=180)
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "manage.py serve did not answer in 60 s"
                time.sleep(0.3)
        yield base, port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_answers_pages_and_refuses_a_huge_anonymous_body_from_its_headers(served):
    base, port = served
    with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read())["status"] == "ok"
    # Only the headers go out: the 413 must come before any body byte is sent.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/plots/upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/octet-stream\r\nContent-Length: 209715200\r\n\r\n"
        )
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    error = json.loads(body)["error"]
    assert error["code"] == "too_large"
    assert error["details"]["content_length"] == 209715200


def test_serve_carries_websockets(served):
    import asyncio

    import websockets

    base, port = served

    async def hello():
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws/events/", origin=base) as ws:
            await ws.ping()
            return ws.state.name

    assert asyncio.run(asyncio.wait_for(hello(), 20)) == "OPEN"


def test_serve_refuses_several_workers_without_a_broker(tmp_path):
    env = {**os.environ, "HYDRA_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "HYDRA_DEBUG": "true"}
    for name in ("HYDRA_REDIS_URL", "HYDRA_BROKER_URL"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "serve", "--workers", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "--workers above 1 needs HYDRA_REDIS_URL or HYDRA_BROKER_URL" in result.stderr
