"""Websocket events are numbered per sending process and topic, so that a page can tell one was lost."""

import os

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from apps.core import events


@pytest.mark.django_db(transaction=True)
def test_events_on_a_topic_reach_the_page_numbered_one_after_the_other_from_one_source():
    from hydra_portal.asgi import application

    async def scenario():
        socket = WebsocketCommunicator(
            application, "/ws/events/?topics=plots,jobs", headers=[(b"origin", b"http://testserver")]
        )
        connected, _ = await socket.connect()
        assert connected
        assert (await socket.receive_json_from())["type"] == "hello"
        await sync_to_async(events.publish)("plots", "plots.created", {"ids": [1]})
        await sync_to_async(events.publish)("jobs", "jobs.update", {"id": 7})
        await sync_to_async(events.publish)("plots", "plots.created", {"ids": [2]})
        received = [await socket.receive_json_from(timeout=5) for _ in range(3)]
        await socket.disconnect()
        return received

    first, job, second = async_to_sync(scenario)()
    assert first["payload"] == {"ids": [1]} and second["payload"] == {"ids": [2]}
    assert first["source"] == second["source"] != job["source"]
    assert first["source"].endswith(".plots") and job["source"].endswith(".jobs")
    assert second["seq"] == first["seq"] + 1


def test_a_forked_worker_numbers_its_events_under_a_source_of_its_own():
    parent_source, _ = events._stamp("plots")
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its source and number, then leave without running teardown
        source, seq = events._stamp("plots")
        os.write(writer, f"{source} {seq}".encode())
        os._exit(0)
    os.close(writer)
    child_source, child_seq = os.read(reader, 200).decode().split()
    os.waitpid(pid, 0)
    assert child_source != parent_source and child_source.endswith(".plots")
    assert child_seq == "1"
