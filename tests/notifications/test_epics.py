"""EPICS: the alarm severity put to a PV of a real caproto IOC on loopback (subprocess), and cleared."""

from __future__ import annotations

import os
import uuid

import pytest

from apps.notifications import notify, services
from apps.notifications.adapters import epics
from apps.notifications.models import Delivery
from tests.notifications.peers import IOC, wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def ioc(tmp_path, monkeypatch, fast):
    server = IOC(f"HYDRA:T{uuid.uuid4().hex[:6].upper()}:", tmp_path / "ioc.log")
    for name, value in server.environment().items():  # the portal and the reading client both use these
        monkeypatch.setenv(name, value)
    server.start()
    yield server
    server.stop()


def read(pv_name: str, timeout: float = 30.0) -> int:
    from caproto.threading.client import Context

    context = Context()
    try:
        (pv,) = context.get_pvs(pv_name, timeout=timeout)
        pv.wait_for_connection(timeout=timeout)
        return int(pv.read(timeout=timeout).data[0])
    finally:
        context.disconnect()


def test_the_pv_shows_the_severity_and_clears(ioc, fast):
    fast.NOTIFY_TIMEOUT = 20.0  # the IOC subprocess may still be starting
    pv = f"{ioc.prefix}ALARM"
    assert read(pv) == 0

    (major,) = notify(f"epics:{pv}", "ALARM", "T", payload={"severity": "major", "event": "fired"})
    assert services.attempt(major.pk) == "sent", Delivery.objects.get(pk=major.pk).last_error
    assert read(pv) == 2

    (minor,) = notify(f"epics:{pv}", "ALARM", "T", payload={"severity": "minor"})
    assert services.attempt(minor.pk) == "sent"
    assert read(pv) == 1

    (clear,) = notify(f"epics:{pv}", "Resolved", "T", payload={"severity": "NO_ALARM", "event": "resolved"})
    assert services.attempt(clear.pk) == "sent"
    assert read(pv) == 0


def test_a_pv_nobody_serves_is_retried(ioc, fast):
    fast.NOTIFY_TIMEOUT = 1.0
    (row,) = notify(f"epics:{ioc.prefix}NOPE", "ALARM", "T", payload={"severity": 2})
    assert services.attempt(row.pk) == "retry"
    assert "not found on Channel Access" in Delivery.objects.get(pk=row.pk).last_error


def test_the_ioc_down_then_up_gets_the_severity_once_it_is_back(tmp_path, monkeypatch, fast):
    server = IOC(f"HYDRA:T{uuid.uuid4().hex[:6].upper()}:", tmp_path / "ioc.log")
    for name, value in server.environment().items():
        monkeypatch.setenv(name, value)
    fast.NOTIFY_TIMEOUT = 1.0
    pv = f"{server.prefix}ALARM"
    (row,) = notify(f"epics:{pv}", "ALARM", "T", payload={"severity": "major"})
    assert services.attempt(row.pk) == "retry"
    server.start()
    try:
        fast.NOTIFY_TIMEOUT = 5.0

        def delivered():
            Delivery.objects.filter(pk=row.pk, status="queued").update(next_attempt_at=row.created_at)
            return services.attempt(row.pk) == "sent"

        wait_until(delivered, 60, "the PV once the IOC is up")
        assert read(pv) == 2 and Delivery.objects.get(pk=row.pk).attempts >= 2
    finally:
        server.stop()


@pytest.mark.parametrize(
    "payload, level",
    [
        ({"severity": "major"}, 2),
        ({"severity": "MINOR"}, 1),
        ({"severity": "NO_ALARM"}, 0),
        ({"severity": 1}, 1),
        ({"severity": "2"}, 2),
        ({"severity": "major", "event": "resolved"}, 0),
        ({}, 2),
    ],
)
def test_severity_levels(payload, level):
    assert epics.severity_of(payload) == level


def test_an_unknown_severity_is_refused():
    with pytest.raises(epics.PermanentError, match="unknown severity 'loud'"):
        epics.severity_of({"severity": "loud"})


def test_the_context_follows_the_environment(monkeypatch):
    monkeypatch.setenv("EPICS_CA_SERVER_PORT", "15064")
    first = epics.context()
    assert epics.context() is first
    monkeypatch.setenv("EPICS_CA_SERVER_PORT", str(int(os.environ["EPICS_CA_SERVER_PORT"]) + 1))
    assert epics.context() is not first
