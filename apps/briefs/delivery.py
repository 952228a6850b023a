"""Handing a brief to the notification outbox: one e-mail to the crew's list and one logbook entry.

Called inside the transaction that marks the brief sent, so the outbox rows commit with it (or not
at all); each carries a dedupe key per brief and target, so the brief is delivered once.
"""

from __future__ import annotations

from apps.briefs.render import title


def _notify():
    from apps.notifications import notify

    return notify


def queue(brief, emails: list[str], logbook: str) -> int:
    """Queue the brief's deliveries; returns how many were queued."""
    notify = _notify()
    subject = title(brief.content, brief.shift_name)
    targets = [f"email:{address}" for address in emails]
    if logbook:
        targets.append(f"logbook:{logbook}")
    for target in targets:
        notify(target, subject, brief.text, dedupe_key=f"{brief.dedupe_key}:{target}")
    return len(targets)
