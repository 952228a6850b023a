"""The alarm lifecycle: fire, acknowledge, resolve, silence, escalate, repeat.

Every change is one transaction holding the alarm row, its history event, the audit entry and
the notifications queued in the outbox; the "alerts" websocket event goes out once it commits.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.alerts import routing
from apps.alerts.choices import EventKind, State
from apps.alerts.models import Alarm, AlarmEvent, Rule, Silence
from apps.audit import record
from apps.core.events import publish_on_commit
from apps.plots.models import PlotGroup


def open_key(rule_id: int, plot_type_id: int) -> str:
    return f"{rule_id}:{plot_type_id}"


def event_payload(alarm: Alarm, what: str) -> dict:
    return {
        "alarm": alarm.pk,
        "what": what,
        "state": alarm.state,
        "reason": alarm.reason,
        "severity": alarm.severity,
        "experiment": alarm.experiment_id,
        "plot_type": alarm.plot_type_id,
        "plot_type_name": alarm.plot_type.name,
        "rule": alarm.rule_id,
        "summary": alarm.summary,
        "url": alarm.get_absolute_url(),
    }


def _announce(alarm: Alarm, what: str) -> None:
    publish_on_commit("alerts", "alerts.changed", event_payload(alarm, what))


def _event(alarm: Alarm, kind: str, text: str = "", actor=None, **details) -> AlarmEvent:
    return AlarmEvent.objects.create(alarm=alarm, kind=kind, text=text[:500], actor=actor, details=details)


# ------------------------------------------------------------------------------------------ silences


def group_ids_of(plot_type_id: int) -> set[int]:
    """The groups holding a plot type and every group above them."""
    direct = set(
        PlotGroup.plot_types.through.objects.filter(plottype_id=plot_type_id).values_list("plotgroup_id", flat=True)
    )
    found = set(direct)
    for group in PlotGroup.objects.filter(pk__in=direct):
        found |= group.ancestor_ids()
    return found


def active_silence(experiment_id: int, rule_id: int, plot_type_id: int, now=None) -> Silence | None:
    """The silence that holds notifications of this rule and plot type now, if any."""
    now = now or timezone.now()
    candidates = list(
        Silence.objects.filter(experiment_id=experiment_id, starts_at__lte=now, ends_at__gt=now)
        .filter(Q(rule_id=rule_id) | Q(rule__isnull=True))
        .order_by("-ends_at")
    )
    if not candidates:
        return None
    groups = group_ids_of(plot_type_id) if any(s.plot_group_id for s in candidates) else set()
    for silence in candidates:
        if silence.plot_type_id and silence.plot_type_id != plot_type_id:
            continue
        if silence.plot_group_id and silence.plot_group_id not in groups:
            continue
        return silence
    return None


def silence(
    experiment, user, ends_at, reason: str, *, rule=None, plot_type=None, plot_group=None, alarm=None
) -> Silence:
    """Hold notifications in a scope until ``ends_at``; alarms are still raised and shown."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give a reason for the silence.")
    if ends_at <= timezone.now():
        raise ValidationError("The silence must end in the future.")
    if ends_at > timezone.now() + timedelta(days=31):
        raise ValidationError("A silence lasts at most 31 days.")
    with transaction.atomic():
        held = Silence.objects.create(
            experiment=experiment,
            rule=rule,
            plot_type=plot_type,
            plot_group=plot_group,
            ends_at=ends_at,
            reason=reason[:300],
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        record(user, "alarm.silence", held, until=ends_at.isoformat(), reason=held.reason)
        if alarm is not None:
            _event(alarm, EventKind.SUPPRESSED, f"Silenced until {ends_at:%Y-%m-%d %H:%M}: {held.reason}", actor=user)
            _announce(alarm, "silenced")
        else:
            publish_on_commit("alerts", "alerts.silenced", {"silence": held.pk, "experiment": experiment.pk})
    return held


# ------------------------------------------------------------------------------------------ notifying


def _notify(alarm: Alarm, targets: list[str], what: str, kind: str, now) -> None:
    """Queue ``what`` to ``targets`` unless a silence holds it; the history says which happened."""
    held = active_silence(alarm.experiment_id, alarm.rule_id, alarm.plot_type_id, now)
    if held is not None:
        _event(
            alarm,
            EventKind.SUPPRESSED,
            f"{what}: not sent, silenced until {held.ends_at:%Y-%m-%d %H:%M}",
            silence=held.pk,
        )
        return
    if not targets:
        _event(alarm, kind, f"{what}: no target configured")
        return
    queued, refused = routing.send(alarm, targets, what)
    alarm.last_notified_at = now
    alarm.notifications += 1
    text = f"{what}: sent to {', '.join(queued) or 'nobody'}"
    if refused:
        text += f" (refused: {'; '.join(refused)})"
    _event(alarm, kind, text, targets=targets, queued=queued, refused=refused)


# ------------------------------------------------------------------------------------------ lifecycle


def fire(
    rule: Rule,
    plot_type,
    reason: str,
    summary: str,
    *,
    first_run=None,
    last_run=None,
    plot_id=None,
    plot_ids=(),
    now=None,
) -> tuple[Alarm, bool]:
    """Open the alarm of (rule, plot type), or return the one already open. Returns (alarm, created)."""
    now = now or timezone.now()
    key = open_key(rule.pk, plot_type.pk)
    try:
        with transaction.atomic():
            alarm = Alarm.objects.create(
                experiment_id=rule.experiment_id,
                rule=rule,
                plot_type=plot_type,
                reason=reason,
                severity=rule.severity,
                open_key=key,
                summary=summary[:300],
                first_run=first_run,
                last_run=last_run,
                plot_id=plot_id,
                plot_ids=list(plot_ids),
                opened_at=now,
                last_seen_at=now,
            )
            _event(alarm, EventKind.FIRED, summary, run=last_run)
            _notify(alarm, routing.targets_for(rule, plot_type), "fired", EventKind.NOTIFIED, now)
            alarm.save(update_fields=["last_notified_at", "notifications"])
            record(None, "alarm.fire", alarm, rule=rule.name, reason=reason, run=last_run)
            _announce(alarm, "fired")
            return alarm, True
    except IntegrityError:
        # Another worker opened it a moment ago.
        return Alarm.objects.select_related("rule", "plot_type").get(open_key=key), False


def acknowledge(alarm: Alarm, user, comment: str = "") -> Alarm:
    """Firing → acknowledged: someone looks at it; escalation and repeats stop."""
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update().select_related("rule", "plot_type").get(pk=alarm.pk)
        if alarm.state != State.FIRING:
            raise ValidationError(
                f"This alarm is {alarm.get_state_display().lower()}: only a firing alarm can be acknowledged."
            )
        now = timezone.now()
        alarm.set_state(State.ACKNOWLEDGED)
        alarm.acknowledged_by = user
        alarm.acknowledged_at = now
        alarm.ack_comment = (comment or "").strip()[:500]
        alarm.save(update_fields=["state", "state_order", "acknowledged_by", "acknowledged_at", "ack_comment"])
        _event(alarm, EventKind.ACKNOWLEDGED, alarm.ack_comment, actor=user)
        record(user, "alarm.acknowledge", alarm, comment=alarm.ack_comment)
        _announce(alarm, "acknowledged")
    return alarm


def resolve(alarm: Alarm, user=None, why: str = "", last_run=None, now=None) -> Alarm:
    """Open → resolved, by a person or by the rule (``user`` None: the condition cleared)."""
    now = now or timezone.now()
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update().select_related("rule", "plot_type").get(pk=alarm.pk)
        if alarm.state == State.RESOLVED:
            raise ValidationError("This alarm is already resolved.")
        alarm.set_state(State.RESOLVED)
        alarm.resolved_at = now
        alarm.resolved_by = user if getattr(user, "is_authenticated", False) else None
        if last_run is not None:
            alarm.last_run = max(alarm.last_run or 0, last_run)
        why = (why or "").strip()[:300] or ("resolved by hand" if alarm.resolved_by else "condition cleared")
        _event(alarm, EventKind.RESOLVED, why, actor=alarm.resolved_by)
        if alarm.notifications:
            # Tell those who were told: an EPICS PV clears, the chat sees it end.
            _notify(alarm, routing.targets_for(alarm.rule, alarm.plot_type), "resolved", EventKind.NOTIFIED, now)
        alarm.save()
        record(user, "alarm.resolve", alarm, why=why)
        _announce(alarm, "resolved")
    return alarm


def escalate_due(now=None) -> int:
    """Firing alarms left unacknowledged past their rule's escalation time go to its second contact."""
    now = now or timezone.now()
    due = (
        Alarm.objects.filter(state=State.FIRING, escalated_at__isnull=True, rule__escalate_after_minutes__isnull=False)
        .select_related("rule", "plot_type")
        .order_by("id")
    )
    done = 0
    for candidate in due:
        if candidate.opened_at > now - timedelta(minutes=candidate.rule.escalate_after_minutes):
            continue
        with transaction.atomic():
            alarm = Alarm.objects.select_for_update().select_related("rule", "plot_type").get(pk=candidate.pk)
            if alarm.state != State.FIRING or alarm.escalated_at is not None:
                continue  # acknowledged or escalated meanwhile (another scheduler)
            alarm.escalated_at = now
            targets = routing.targets_for(alarm.rule, alarm.plot_type, escalation=True)
            _notify(alarm, targets, "escalated", EventKind.ESCALATED, now)
            alarm.save(update_fields=["escalated_at", "last_notified_at", "notifications"])
            record(None, "alarm.escalate", alarm, targets=targets)
            _announce(alarm, "escalated")
            done += 1
    return done


def repeat_due(now=None) -> int:
    """Firing alarms notified longer ago than their rule's repeat interval are sent again."""
    now = now or timezone.now()
    due = (
        Alarm.objects.filter(state=State.FIRING, rule__repeat_hours__isnull=False, last_notified_at__isnull=False)
        .select_related("rule", "plot_type")
        .order_by("id")
    )
    done = 0
    for candidate in due:
        if candidate.last_notified_at > now - timedelta(hours=candidate.rule.repeat_hours):
            continue
        with transaction.atomic():
            alarm = Alarm.objects.select_for_update().select_related("rule", "plot_type").get(pk=candidate.pk)
            if alarm.state != State.FIRING or alarm.last_notified_at > now - timedelta(hours=alarm.rule.repeat_hours):
                continue
            _notify(alarm, routing.targets_for(alarm.rule, alarm.plot_type), "repeated", EventKind.REPEATED, now)
            if alarm.last_notified_at != now:
                alarm.last_notified_at = now  # silenced: wait a full interval before trying again
            alarm.save(update_fields=["last_notified_at", "notifications"])
            record(None, "alarm.repeat", alarm)
            _announce(alarm, "repeated")
            done += 1
    return done
