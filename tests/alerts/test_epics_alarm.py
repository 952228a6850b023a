"""An alarm on an EPICS PV of a real caproto IOC (subprocess on loopback): the PV shows the alarm's
severity while it fires and goes back to 0 when Good runs resolve it."""

from __future__ import annotations

import uuid

import pytest

from apps.alerts.choices import RuleKind, State
from apps.alerts.models import Alarm
from apps.notifications.models import Delivery, Status
from apps.notifications.services import deliver_due
from tests.alerts.helpers import Line
from tests.notifications.peers import IOC

pytestmark = pytest.mark.django_db


@pytest.fixture
def ioc(tmp_path, monkeypatch, fast):
    server = IOC(f"HYDRA:A{uuid.uuid4().hex[:6].upper()}:", tmp_path / "ioc.log")
    for name, value in server.environment().items():  # the portal and the reading client both use these
        monkeypatch.setenv(name, value)
    fast.NOTIFY_TIMEOUT = 20.0  # the IOC subprocess may still be starting
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


def test_the_pv_shows_the_alarm_and_clears_when_it_resolves(ioc):
    pv = f"{ioc.prefix}ALARM"
    assert read(pv) == 0
    line = Line(expert="")
    line.rule(kind=RuleKind.K_OF_N, severity="major", clear_after=2, targets=[f"epics:{pv}"])
    line.verdict("Bad")
    line.verdict("Bad")
    assert deliver_due()["sent"] == 1, list(Delivery.objects.values_list("last_error", flat=True))
    assert read(pv) == 2
    line.verdict("Good")
    line.verdict("Good")
    assert Alarm.objects.get().state == State.RESOLVED
    assert deliver_due()["sent"] == 1
    assert read(pv) == 0
    assert list(Delivery.objects.order_by("id").values_list("status", flat=True)) == [Status.SENT, Status.SENT]
