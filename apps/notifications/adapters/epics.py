"""EPICS: the alarm severity (0 clear, 1 minor, 2 major) written to a process variable over Channel Access.

Uses caproto's threading client (``pip install hydra-portal[epics]``). The usual EPICS_CA_ADDR_LIST,
EPICS_CA_AUTO_ADDR_LIST and EPICS_CA_SERVER_PORT variables of the portal's environment choose where
the PV is looked for.
"""

from __future__ import annotations

import os
import threading

from django.conf import settings

from apps.notifications.adapters import PermanentError

SEVERITIES = {"no_alarm": 0, "clear": 0, "none": 0, "resolved": 0, "ok": 0, "minor": 1, "major": 2, "invalid": 2}
ENVIRONMENT = ("EPICS_CA_ADDR_LIST", "EPICS_CA_AUTO_ADDR_LIST", "EPICS_CA_SERVER_PORT", "EPICS_CA_REPEATER_PORT")

_lock = threading.Lock()
_context = {"key": None, "context": None}


def severity_of(payload: dict) -> int:
    """0, 1 or 2 from the payload's ``severity`` (a number or a name); a resolved event is 0."""
    if payload.get("event") == "resolved":
        return 0
    value = payload.get("severity", 2)
    if isinstance(value, bool):
        return 2 if value else 0
    if isinstance(value, (int, float)):
        return max(0, min(2, int(value)))
    name = str(value).strip().lower()
    if name.isdigit():
        return max(0, min(2, int(name)))
    if name not in SEVERITIES:
        raise PermanentError(f"unknown severity {value!r} (0/1/2, no_alarm, minor or major)")
    return SEVERITIES[name]


def context():
    """One caproto client context per process (a new one when the EPICS_CA_* environment changed)."""
    try:
        from caproto.threading.client import Context
    except ImportError as exc:
        raise PermanentError("EPICS needs caproto: pip install 'hydra-portal[epics]'") from exc
    key = tuple(os.environ.get(name) for name in ENVIRONMENT)
    with _lock:
        if _context["key"] != key or _context["context"] is None:
            old = _context["context"]
            if old is not None:
                try:
                    old.disconnect()
                except Exception:
                    pass
            _context.update(key=key, context=Context())
        return _context["context"]


def send(delivery) -> None:
    value = severity_of(delivery.payload or {})
    timeout = settings.NOTIFY_TIMEOUT
    (pv,) = context().get_pvs(delivery.target, timeout=timeout)
    try:
        pv.wait_for_connection(timeout=timeout)
    except TimeoutError as exc:
        raise OSError(f"PV {delivery.target} not found on Channel Access within {timeout:g} s") from exc
    pv.write([value], wait=True, timeout=timeout)
