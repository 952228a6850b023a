"""Who an alarm is sent to, and the hand-over to the notifications outbox."""

from __future__ import annotations

import logging
import re

from django.conf import settings

from apps.alerts.models import TARGET_RE, Alarm, Rule

log = logging.getLogger(__name__)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def expert_targets(plot_type) -> list[str]:
    """The plot type's expert as targets: targets written in ``expert_contact`` as they are
    (``webhook:…``, ``email:…``), else every e-mail address found in it ("Ann Lee <ann@lab.org>")."""
    contact = (plot_type.expert_contact or "").strip()
    if not contact:
        return []
    written = [part for part in re.split(r"[\s,;]+", contact) if TARGET_RE.match(part)]
    if written:
        return written
    return [f"email:{address}" for address in EMAIL_RE.findall(contact)]


def targets_for(rule: Rule, plot_type, escalation: bool = False) -> list[str]:
    """The rule's targets for an alarm of ``plot_type``, without repeats, in a stable order."""
    if escalation:
        wanted = list(rule.escalation_targets or [])
    else:
        wanted = (expert_targets(plot_type) if rule.notify_expert else []) + list(rule.targets or [])
    return list(dict.fromkeys(wanted))


def message(alarm: Alarm, what: str) -> tuple[str, str]:
    """Subject and text of a notification about ``alarm`` (``what``: fired, escalated, repeated, resolved)."""
    head = {
        "fired": "ALARM",
        "escalated": "ALARM (not acknowledged)",
        "repeated": "ALARM (still firing)",
        "resolved": "Resolved",
    }.get(what, what)
    subject = f"[Hydra] {head}: {alarm.plot_type.name} ({alarm.get_reason_display()})"
    base = getattr(settings, "PORTAL_URL", "").rstrip("/")
    lines = [
        alarm.summary,
        f"Rule: {alarm.rule.name} ({alarm.rule.get_kind_display()})",
        f"Runs: {alarm.first_run or '–'} to {alarm.last_run or '–'}",
        f"Expert: {alarm.plot_type.expert_contact or 'none named'}",
    ]
    if base:
        lines.append(f"{base}{alarm.get_absolute_url()}")
    return subject, "\n".join(lines)


def payload(alarm: Alarm, what: str) -> dict:
    """The machine-readable part (webhooks, EPICS severity, logbook tags)."""
    return {
        "alarm": alarm.pk,
        "event": what,
        "state": alarm.state,
        "reason": alarm.reason,
        "severity": "NO_ALARM" if what == "resolved" else alarm.severity,
        "plot_type": alarm.plot_type.name,
        "plot_type_id": alarm.plot_type_id,
        "rule": alarm.rule.name,
        "run": alarm.last_run,
        "plot": alarm.plot_id,
        "summary": alarm.summary,
        "expert": alarm.plot_type.expert_contact,
        "url": alarm.get_absolute_url(),
    }


def send(alarm: Alarm, targets: list[str], what: str) -> tuple[list[str], list[str]]:
    """Queue one notification per target in the notifications outbox, in the caller's transaction.

    Returns (queued, refused): a target the outbox refuses (a malformed address written in an expert
    contact) is left out with its reason, so that one bad address never stops the alarm itself.
    """
    try:
        from apps.notifications import notify
        from apps.notifications.services import InvalidTarget, parse_target
    except ImportError:
        log.warning("no notifications app: alarm %s %s not sent to %s", alarm.pk, what, targets)
        return [], [f"{t}: the notifications app is not installed" for t in targets]
    good, refused = [], []
    for target in targets:
        try:
            parse_target(target)
            good.append(target)
        except InvalidTarget as exc:
            refused.append(f"{target}: {exc}")
    if good:
        subject, text = message(alarm, what)
        notify(
            good,
            subject=subject,
            text=text,
            payload=payload(alarm, what),
            image_plot=alarm.plot_id,
            source=f"alarm:{alarm.pk}",
        )
    return good, refused
