"""Periodic alarm work (escalations, repeats, staleness), run by the portal's scheduler once a minute."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)
EVERY_SECONDS = 60


def periodic() -> dict[str, int]:
    """One pass: escalate unacknowledged alarms, repeat long-firing ones, check staleness."""
    from apps.alerts.evaluate import check_staleness
    from apps.alerts.services import escalate_due, repeat_due

    return {"escalated": escalate_due(), "repeated": repeat_due(), "stale": check_staleness()}


def register_periodic() -> None:
    """Hand ``periodic`` to the scheduler's registry, when the jobs app has one."""
    try:
        from apps.jobs import scheduler
    except ImportError:
        return
    register = getattr(scheduler, "register", None)
    if register is None:
        log.warning("the scheduler has no register(): alarm escalations will not run")
        return
    register("alarms", periodic, every=EVERY_SECONDS)
