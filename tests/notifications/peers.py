"""Real peers on loopback for the notification tests: an SMTP server (aiosmtpd), an HTTP server that
records POSTs (webhooks, the logbook) and can be taken down and brought back on its port, and a
caproto IOC in a subprocess."""

from __future__ import annotations

import email
import os
import socket
import subprocess
import sys
import threading
import time
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller


def free_port(kind=socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float = 20.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


class _Collector:
    def __init__(self, sink: list):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        self.sink.append((envelope.rcpt_tos, email.message_from_bytes(envelope.original_content or envelope.content)))
        return "250 OK"


class SMTPServer:
    """aiosmtpd on a fixed free port; ``messages`` holds (recipients, parsed message) per mail taken."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[tuple[list[str], Message]] = []
        self.controller: Controller | None = None

    def start(self) -> SMTPServer:
        self.controller = Controller(_Collector(self.messages), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self, settings) -> None:
        """Point Django's mail at this server (plain SMTP, as on a lab relay)."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", self.port
        settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = False, False
        settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "", ""


class Posted:
    def __init__(self, path: str, headers: dict, body: bytes):
        self.path, self.headers, self.body = path, headers, body


class HTTPServer:
    """A threaded HTTP server on a fixed free port that records each POST and answers ``status``."""

    def __init__(self, port: int | None = None, status: int = 200):
        self.port = port or free_port()
        self.status = status
        self.posts: list[Posted] = []
        self.server: ThreadingHTTPServer | None = None
        self.on_post = None  # optional check(posted) -> status

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HTTPServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                posted = Posted(self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                status = owner.on_post(posted) if owner.on_post else owner.status
                if status < 300:
                    owner.posts.append(posted)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if status < 300 else b'{"error": "refused"}')

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


IOC_SOURCE = Path(__file__).with_name("ioc.py")


class IOC:
    """A caproto IOC (tests/notifications/ioc.py) in a subprocess, serving ``<prefix>ALARM`` on 127.0.0.1."""

    def __init__(self, prefix: str, log: Path):
        self.prefix = prefix
        self.port = free_port(socket.SOCK_DGRAM)
        self.log = log
        self.proc: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        return {
            "EPICS_CA_ADDR_LIST": "127.0.0.1",
            "EPICS_CA_AUTO_ADDR_LIST": "NO",
            "EPICS_CA_SERVER_PORT": str(self.port),
            "EPICS_CAS_INTF_ADDR_LIST": "127.0.0.1",
            "EPICS_CAS_BEACON_ADDR_LIST": "127.0.0.1",
            "EPICS_CAS_AUTO_BEACON_ADDR_LIST": "NO",
        }

    def start(self) -> IOC:
        env = {**os.environ, **self.environment()}
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(IOC_SOURCE), "--prefix", self.prefix, "--interfaces", "127.0.0.1", "--quiet"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
