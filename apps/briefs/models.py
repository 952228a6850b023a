"""Shift briefs (a period summarised, with the crew's note for the next shift) and when they are written."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from apps.briefs.choices import BriefStatus, ScheduleKind

EMAIL_RE = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
LOGBOOK_RE = re.compile(r"^[\w][\w.\-]*$")


def split_list(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[\n,;]+", text or "") if t.strip()]


def parse_hours(text: str) -> list[int]:
    """``"7,15,23"`` → ``[7, 15, 23]``; ValidationError on anything but distinct hours 0-23."""
    try:
        hours = [int(h) for h in split_list(text)]
    except ValueError:
        raise ValidationError(f"{text!r}: hours are whole numbers 0 to 23, separated by commas.") from None
    if not hours or any(not 0 <= h <= 23 for h in hours) or len(set(hours)) != len(hours):
        raise ValidationError(f"{text!r}: hours are distinct whole numbers 0 to 23, separated by commas.")
    return sorted(hours)


class ShiftSchedule(models.Model):
    """When an experiment's briefs are written on their own, and where they go.

    Three 8-hour shifts start at ``shift_hours`` (local time, ``TIME_ZONE``) and are named by
    ``shift_names`` in the same order; a daily brief covers the 24 hours up to ``daily_hour``. At
    the end of each period the scheduler writes a draft; the crew adds its note and presses Send,
    or the draft goes out by itself ``grace_minutes`` later.
    """

    experiment = models.OneToOneField("experiments.Experiment", on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField(default=True, help_text="Write briefs at the end of each shift.")
    kind = models.CharField(max_length=10, choices=ScheduleKind.choices, default=ScheduleKind.SHIFTS)
    shift_hours = models.CharField(
        max_length=40, default="7,15,23", help_text="Three shifts: the hours they start, e.g. 7,15,23 (local time)."
    )
    shift_names = models.CharField(
        max_length=100, default="Day,Swing,Owl", help_text="Their names, in the same order: Day,Swing,Owl."
    )
    daily_hour = models.PositiveSmallIntegerField(
        default=8, validators=[MaxValueValidator(23)], help_text="Daily: the hour the brief is written (local time)."
    )
    grace_minutes = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(0), MaxValueValidator(24 * 60)],
        help_text="A draft nobody sent goes out by itself this long after its shift ended (0: at once).",
    )
    email_to = models.TextField(blank=True, help_text="E-mail addresses, one per line or separated by commas.")
    logbook = models.CharField(
        max_length=100, blank=True, default="default", help_text="Logbook target name (empty: no logbook entry)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["experiment"]

    def __str__(self):
        return f"{self.experiment}: {self.describe()}"

    def describe(self) -> str:
        if self.kind == ScheduleKind.DAILY:
            return f"daily at {self.daily_hour:02d}:00"
        return "shifts at " + ", ".join(f"{h:02d}:00" for h in self.hours())

    def hours(self) -> list[int]:
        return parse_hours(self.shift_hours) if self.kind == ScheduleKind.SHIFTS else [self.daily_hour]

    def names(self) -> list[str]:
        return split_list(self.shift_names)

    def emails(self) -> list[str]:
        return split_list(self.email_to)

    def clean(self):
        if self.kind == ScheduleKind.SHIFTS:
            hours = parse_hours(self.shift_hours)
            if len(self.names()) != len(hours):
                raise ValidationError(
                    {"shift_names": f"Name each of the {len(hours)} shifts, in the order of their hours."}
                )
        bad = [e for e in self.emails() if not EMAIL_RE.match(e)]
        if bad:
            raise ValidationError({"email_to": f"Not an e-mail address: {', '.join(bad[:3])}."})
        if self.logbook and not LOGBOOK_RE.match(self.logbook):
            raise ValidationError({"logbook": "A logbook name is letters, digits, dots, dashes and underscores."})


class Brief(models.Model):
    """A shift summarised: what happened between ``period_start`` and ``period_end``.

    ``content`` holds the figures and lists (apps.briefs.content), ``text`` the same rendered for
    e-mail and the logbook. A draft takes the crew's ``note`` for the next shift; sending queues
    one e-mail and one logbook entry (once, whatever happens) and freezes it. Briefs written by the
    schedule carry ``schedule_key`` (experiment and period end), so each shift has one.
    """

    experiment = models.ForeignKey("experiments.Experiment", on_delete=models.CASCADE, related_name="+")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    shift_name = models.CharField(max_length=50, blank=True)
    content = models.JSONField(default=dict, blank=True)
    text = models.TextField(blank=True)
    note = models.TextField(blank=True, max_length=5000, help_text="For the next shift.")
    status = models.CharField(max_length=10, choices=BriefStatus.choices, default=BriefStatus.DRAFT)
    automatic = models.BooleanField(default=False, help_text="Written by the schedule.")
    schedule_key = models.CharField(max_length=60, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who wrote the note.",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_end", "-id"]
        indexes = [
            models.Index(fields=["experiment", "-period_end", "-id"], name="brief_exp_end"),
            models.Index(fields=["status", "period_end"], name="brief_status_end"),
        ]

    def __str__(self):
        name = f"{self.shift_name} " if self.shift_name else ""
        return f"{self.experiment} {name}brief {self.period_start:%Y-%m-%d %H:%M} to {self.period_end:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("brief-detail", args=[self.pk])

    @property
    def is_sent(self) -> bool:
        return self.status == BriefStatus.SENT

    @property
    def dedupe_key(self) -> str:
        return f"brief:{self.pk}"
