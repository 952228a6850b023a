"""Handing a brief to the notification outbox: one e-mail per address of the crew's list and one
logbook entry.

Called inside the transaction that marks the brief sent, so the outbox rows commit with it (or not
at all); they carry the brief's dedupe key (``brief:<id>``, one per target), so it is delivered once.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from apps.briefs.render import title


def targets(emails: list[str], logbook: str) -> list[str]:
    specs = [f"email:{address}" for address in emails]
    if logbook:
        specs.append(f"logbook:{logbook}")
    return specs


def queue(brief, emails: list[str], logbook: str) -> int:
    """Queue the brief's deliveries; returns how many were queued now (none when queued before)."""
    from apps.notifications import notify
    from apps.notifications.services import InvalidTarget

    specs = targets(emails, logbook)
    if not specs:
        return 0
    worst = (brief.content.get("bad") or {}).get("worst") or []
    payload = {
        "brief": brief.pk,
        "experiment": brief.experiment.name,
        "shift": brief.shift_name,
        "period_start": brief.period_start.isoformat(),
        "period_end": brief.period_end.isoformat(),
        "tags": ["shift brief"] + ([brief.shift_name] if brief.shift_name else []),
    }
    try:
        rows = notify(
            specs,
            subject=title(brief.content, brief.shift_name),
            text=brief.text,
            payload=payload,
            image_plot=worst[0]["plot"] if worst else None,
            dedupe_key=brief.dedupe_key,
            source=brief.dedupe_key,
            strict=True,  # a crew pressing Send sees a bad address instead of a failed delivery later
        )
    except InvalidTarget as exc:
        raise ValidationError(f"Cannot send the brief: {exc}.") from None
    return len(rows)
