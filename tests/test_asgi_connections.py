"""The ASGI application and database connections: each request's connection is closed when it ends."""

import asyncio
import importlib

import pytest
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
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


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_leave_no_database_connection_open_even_with_persistent_connections_configured():
    # Each ASGI request runs in a thread of its own, so a connection kept for reuse never is reused:
    # with CONN_MAX_AGE as the MySQL settings have it, 50 clients ran MariaDB out of connections.
    database = settings.DATABASES["default"]
    saved = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 60
    opened = []

    def record(sender, connection, **kwargs):
        opened.append(connection)

    connection_created.connect(record)
    try:
        import hydra_portal.asgi

        application = importlib.reload(hydra_portal.asgi).application

        async def many():
            return await asyncio.gather(*(_get(application, "/") for _ in range(6)))

        statuses = asyncio.run(many())
    finally:
        connection_created.disconnect(record)
        database["CONN_MAX_AGE"] = saved
    assert statuses == [200] * 6
    assert opened, "the pages read the database"
    assert [c for c in opened if c.connection is not None] == []
