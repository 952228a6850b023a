"""Request bodies are held to their limits as they arrive, against a real server over raw sockets."""

import asyncio
import json
import socket
import threading
import time

import pytest

from apps.accounts.roles import DETECTOR_EXPERT, VIEWER
from apps.plots.models import Plot
from tests import factories

# The server thread needs committed data; serialized rollback restores the role groups the migrations made
# (and keeps the flush from re-creating content types under the next serialized test).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def server(settings):
    """(host, port) of uvicorn serving the assembled ASGI application from a thread."""
    import uvicorn

    from hydra_portal.asgi import application

    settings.BODY_TIMEOUT = 1.0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    instance = uvicorn.Server(config)
    instance.install_signal_handlers = lambda: None
    thread = threading.Thread(target=lambda: asyncio.run(instance.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield "127.0.0.1", port
    instance.should_exit = True
    thread.join(timeout=10)


def head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_response(sock: socket.socket, timeout: float = 10.0) -> tuple[int, dict]:
    """Status and JSON body of the response on ``sock``."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    header, _, body = data.partition(b"\r\n\r\n")
    status = int(header.split(b" ", 2)[1])
    length = next(
        int(line.split(b":", 1)[1]) for line in header.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the middle of the response body"
        body += chunk
    return status, json.loads(body[:length])


def chunked(data: bytes, size: int = 4096) -> bytes:
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    parts = [f"{len(piece):x}\r\n".encode() + piece + b"\r\n" for piece in pieces]
    return b"".join(parts) + b"0\r\n\r\n"


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[str, bytes]:
    boundary = "hydra-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{filename}"\r\n'
        "Content-Type: image/png\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    return f"multipart/form-data; boundary={boundary}", b"".join(parts) + f"--{boundary}--\r\n".encode()


def test_a_huge_content_length_is_answered_413_before_any_body_is_sent(server):
    with socket.create_connection(server) as sock:
        sock.sendall(head("POST", "/api/v1/plots/", {"Content-Length": str(200 * 1024**2), "Content-Type": "x/y"}))
        status, body = read_response(sock)
    assert status == 413
    assert body["error"]["code"] == "too_large" and body["error"]["details"]["content_length"] == 200 * 1024**2
    assert "sign in or send an API token" in body["error"]["message"]


def test_a_signed_in_user_who_may_not_upload_gets_the_smaller_cap_from_content_length(server, settings):
    _, key = factories.api_token(factories.user("viewer", roles=[VIEWER]))
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    with socket.create_connection(server) as sock:
        headers = {"Content-Length": str(size), "Authorization": f"Token {key}"}
        sock.sendall(head("POST", "/api/v1/plots/bulk/", headers))
        status, body = read_response(sock)
    assert status == 413
    assert body["error"]["details"] == {"content_length": size, "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
    assert "for a user who may not upload plots" in body["error"]["message"]


def test_an_anonymous_chunked_body_is_cut_off_at_the_anonymous_cap(server, settings):
    with socket.create_connection(server) as sock:
        sock.sendall(head("POST", "/api/v1/plots/", {"Transfer-Encoding": "chunked"}))
        try:
            cap = settings.ANONYMOUS_MAX_BODY_BYTES
            sock.sendall(chunked(b"x" * (cap * 4))[: cap * 2])
        except OSError:
            pass  # the server may close the connection while we are still sending
        status, body = read_response(sock)
    assert status == 413 and body["error"]["code"] == "too_large"
    details = body["error"]["details"]
    assert details["limit"] == settings.ANONYMOUS_MAX_BODY_BYTES and details["received"] > details["limit"]


def test_a_body_shorter_than_its_content_length_times_out_with_408(server):
    with socket.create_connection(server) as sock:
        started = time.monotonic()
        sock.sendall(head("POST", "/api/v1/labels/", {"Content-Length": "1000", "Content-Type": "application/json"}))
        sock.sendall(b'{"plot": 1')
        status, body = read_response(sock)
    assert status == 408 and body["error"]["code"] == "request_timeout"
    assert "10 of 1,000 bytes came, then nothing for 1 s" in body["error"]["message"]
    assert time.monotonic() - started < 8


def test_a_chunked_upload_without_content_length_is_stored(server, make_png, experiment):
    expert = factories.user("expert", roles=[DETECTOR_EXPERT])
    _, key = factories.api_token(expert)
    data = make_png(seed=7)
    fields = {"experiment": experiment.slug, "plot_type": "CDC_occupancy", "run": "80464"}
    content_type, payload = multipart(fields, "CDC_occupancy.png", data)
    with socket.create_connection(server) as sock:
        sock.sendall(
            head(
                "POST",
                "/api/v1/plots/",
                {"Transfer-Encoding": "chunked", "Content-Type": content_type, "Authorization": f"Token {key}"},
            )
            + chunked(payload)
        )
        status, body = read_response(sock)
    assert status == 201, body
    assert body["plot_type_name"] == "CDC_occupancy" and body["size_bytes"] == len(data)
    assert Plot.objects.get().sha256 == body["sha256"]
