"""Writing, editing and sending briefs; the shifts of a schedule; the periodic tasks that use them."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit import record
from apps.briefs import content as brief_content
from apps.briefs import delivery
from apps.briefs.choices import BriefStatus, ScheduleKind
from apps.briefs.models import Brief, ShiftSchedule, split_list
from apps.briefs.render import render_text

log = logging.getLogger(__name__)
MAX_PERIOD = timedelta(days=31)


def check_period(since: datetime, until: datetime) -> None:
    if since >= until:
        raise ValidationError("The period must end after it starts (since before until).")
    if until - since > MAX_PERIOD:
        raise ValidationError("A brief covers at most 31 days.")


def _text(brief: Brief) -> str:
    who = brief.written_by.get_username() if brief.written_by else None
    return render_text(brief.content, brief.shift_name, brief.note, who)


def preview(experiment, since: datetime, until: datetime, shift_name: str = "", note: str = "") -> Brief:
    """An unsaved brief over the period (content computed, text rendered)."""
    check_period(since, until)
    brief = Brief(experiment=experiment, period_start=since, period_end=until, shift_name=shift_name, note=note)
    brief.content = brief_content.compute(experiment, since, until)
    brief.text = _text(brief)
    return brief


def create(experiment, since, until, user=None, shift_name: str = "", note: str = "", schedule_key=None) -> Brief:
    """Write a draft over the period and keep it."""
    brief = preview(experiment, since, until, shift_name, note)
    brief.created_by = user
    brief.automatic = schedule_key is not None
    brief.schedule_key = schedule_key
    if note.strip() and user is not None and user.is_authenticated:
        brief.written_by = user
        brief.text = _text(brief)
    brief.save()
    record(user, "brief.create", brief, since=since.isoformat(), until=until.isoformat())
    return brief


def write(experiment, since, until, user=None, shift_name: str = "", note: str = "", send_now: bool = False) -> Brief:
    """A brief on demand: kept as a draft, or sent at once (both or nothing: a brief that cannot be
    sent is not kept either)."""
    with transaction.atomic():
        brief = create(experiment, since, until, user, shift_name, note)
        if send_now:
            brief, _ = send(brief, user)
    return brief


def set_note(brief: Brief, note: str, user) -> Brief:
    """The crew's note for the next shift, on a draft only."""
    with transaction.atomic():
        brief = Brief.objects.select_for_update().select_related("experiment").get(pk=brief.pk)
        if brief.status == BriefStatus.SENT:
            raise ValidationError("This brief was sent: its note can no longer change.")
        brief.note = note.strip()
        brief.written_by = user if brief.note else None
        brief.text = _text(brief)
        brief.save(update_fields=["note", "written_by", "text", "updated_at"])
    record(user, "brief.note", brief, chars=len(brief.note))
    return brief


def recipients(experiment) -> tuple[list[str], str]:
    """E-mail addresses and logbook target of the experiment's schedule (settings where it has none);
    no logbook entry where no logbook is configured (HYDRA_LOGBOOK_URL)."""
    from django.conf import settings

    schedule = ShiftSchedule.objects.filter(experiment=experiment).first()
    if schedule is not None:
        emails, logbook = schedule.emails(), schedule.logbook
    else:
        emails, logbook = split_list(getattr(settings, "BRIEF_EMAIL_TO", "")), getattr(settings, "BRIEF_LOGBOOK", "")
    return emails, logbook if getattr(settings, "LOGBOOK_URL", "") else ""


def send(brief: Brief, user=None) -> tuple[Brief, bool]:
    """Mark the brief sent and queue its e-mail and logbook entry in the same transaction.

    Returns ``(brief, True)`` when this call sent it, ``(brief, False)`` when it was sent already:
    the row lock and the outbox's dedupe key per brief make a second Send (or the grace-period task
    racing the crew's button) a no-op.
    """
    with transaction.atomic():
        locked = Brief.objects.select_for_update().select_related("experiment", "written_by").get(pk=brief.pk)
        if locked.status == BriefStatus.SENT:
            return locked, False
        locked.text = _text(locked)
        emails, logbook = recipients(locked.experiment)
        delivery.queue(locked, emails, logbook)
        locked.status, locked.sent_at, locked.sent_by = BriefStatus.SENT, timezone.now(), user
        locked.save(update_fields=["text", "status", "sent_at", "sent_by", "updated_at"])
    record(user, "brief.send", locked, emails=len(emails), logbook=logbook or "")
    return locked, True


# --- schedules ------------------------------------------------------------------------------


def _at(day, hour: int, tz) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)), tz)


def last_shift(schedule: ShiftSchedule, now: datetime | None = None) -> tuple[datetime, datetime, str]:
    """The newest period of ``schedule`` that has ended by ``now``: (start, end, shift name)."""
    tz = timezone.get_current_timezone()
    local = timezone.localtime(now or timezone.now(), tz)
    if schedule.kind == ScheduleKind.DAILY:
        end = _at(local.date(), schedule.daily_hour, tz)
        if end > local:
            end = _at(local.date() - timedelta(days=1), schedule.daily_hour, tz)
        return _at(end.date() - timedelta(days=1), schedule.daily_hour, tz), end, "Daily"
    written = [int(h) for h in split_list(schedule.shift_hours)]
    names = dict(zip(written, schedule.names(), strict=False))
    starts = sorted(_at(local.date() + timedelta(days=d), h, tz) for d in (-2, -1, 0) for h in written)
    past = [s for s in starts if s <= local]
    end, start = past[-1], past[-2]
    return start, end, names.get(timezone.localtime(start, tz).hour, "")


def write_due(now: datetime | None = None) -> dict:
    """The periodic task: a draft for every schedule whose shift just ended (once per shift), then
    send the drafts whose grace period is over. Reports into a Job record."""
    from apps.jobs.models import Job

    now = now or timezone.now()
    written, sent = [], []
    for schedule in ShiftSchedule.objects.filter(enabled=True).select_related("experiment"):
        start, end, name = last_shift(schedule, now)
        key = f"{schedule.experiment_id}:{end.astimezone(timezone.get_fixed_timezone(0)):%Y%m%dT%H%M}"
        if now - end > timedelta(hours=24) or Brief.objects.filter(schedule_key=key).exists():
            continue
        job = Job.objects.create(kind="brief", title=f"{schedule.experiment} {name} brief", params={"key": key})
        job.start(f"writing the {name} brief of {schedule.experiment}")
        try:
            with transaction.atomic():
                brief = create(schedule.experiment, start, end, shift_name=name, schedule_key=key)
        except IntegrityError:  # another scheduler wrote it at the same moment
            job.finish("written elsewhere")
            continue
        except Exception as exc:
            job.fail(str(exc))
            log.exception("brief for %s failed", schedule.experiment)
            continue
        job.finish(f"draft {brief.pk} written", brief=brief.pk)
        written.append(brief.pk)
    sent = send_overdue(now)
    return {"written": len(written), "sent": len(sent)}


def send_overdue(now: datetime | None = None) -> list[int]:
    """Send the schedule's drafts whose shift ended more than the grace period ago."""
    now = now or timezone.now()
    grace = dict(ShiftSchedule.objects.values_list("experiment_id", "grace_minutes"))
    sent = []
    drafts = Brief.objects.filter(status=BriefStatus.DRAFT, automatic=True, period_end__lte=now).order_by("period_end")
    for brief in drafts[:100]:
        minutes = grace.get(brief.experiment_id, 60)
        if brief.period_end + timedelta(minutes=minutes) <= now:
            _, did = send(brief)
            if did:
                sent.append(brief.pk)
    return sent
