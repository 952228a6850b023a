"""The ASGI application and database connections: pages run on a fixed pool of threads that keep
and reuse one connection each; with the pool off, each request's connection is closed when it ends."""

import asyncio
import importlib

import pytest
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created


async def _get(application, path: str) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(30)
    while (await communicator.receive_output(30)).get("more_body"):
        pass
    await communicator.wait(30)  # the request's end (and its connection's close) comes after the body
    return start["status"]


def _serve(threads: int, batches: list[int]):
    """Serve ``batches`` of concurrent GET / with HTTP_THREADS=threads; the statuses per batch and the
    connections each batch opened (still open or not at the end)."""
    database = settings.DATABASES["default"]
    saved = database.get("CONN_MAX_AGE", 0), settings.HTTP_THREADS
    database["CONN_MAX_AGE"] = 60  # as the MySQL settings have it
    settings.HTTP_THREADS = threads
    opened: list = []

    def record(sender, connection, **kwargs):
        opened.append(connection)

    connection_created.connect(record)
    results = []
    try:
        import hydra_portal.asgi

        application = importlib.reload(hydra_portal.asgi).application
        for n in batches:
            before = len(opened)

            async def many(count):
                return await asyncio.gather(*(_get(application, "/") for _ in range(count)))

            results.append((asyncio.run(many(n)), opened[before:]))
        open_at_end = [c for c in opened if c.connection is not None]
        if threads:
            # The pool's threads keep their connections: close them there before the test database goes.
            pool = hydra_portal.asgi.http_app.executor
            for _ in range(threads):
                pool.submit(connections.close_all).result(30)
            pool.shutdown(wait=True)
    finally:
        connection_created.disconnect(record)
        database["CONN_MAX_AGE"], settings.HTTP_THREADS = saved
        importlib.reload(hydra_portal.asgi)
    return results, open_at_end


@pytest.mark.django_db(transaction=True)
def test_pages_run_on_a_fixed_pool_of_threads_whose_connections_are_kept_and_reused():
    (first, opened_first), (second, opened_second) = _serve(3, [12, 12])[0]
    assert first == [200] * 12 and second == [200] * 12
    # 12 concurrent requests on 3 threads: at most 3 connections, and the next 12 open none.
    assert 1 <= len(opened_first) <= 3
    assert opened_second == []


@pytest.mark.django_db(transaction=True)
def test_without_the_pool_concurrent_requests_leave_no_database_connection_open():
    # Each request of Django's ASGI handler runs in a thread of its own, so a connection kept for reuse
    # never is reused: with CONN_MAX_AGE as the MySQL settings have it, 50 clients ran MariaDB out of
    # connections. Without the pool each request's connection is closed when it ends.
    results, open_at_end = _serve(0, [6])
    statuses, opened = results[0]
    assert statuses == [200] * 6
    assert opened, "the pages read the database"
    assert open_at_end == []
