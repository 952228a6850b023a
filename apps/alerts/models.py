"""Alarm rules, the alarms they raise (one open alarm per rule and plot type), their history, and silences."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.alerts.choices import STATE_ORDER, EventKind, Reason, RuleKind, Severity, State

# A notification target: "email:shift@lab.org", "webhook:https://…", "epics:HALLD:HYDRA:ALARM", "logbook:default".
TARGET_KINDS = ("email", "webhook", "epics", "logbook")
TARGET_RE = re.compile(r"^(email|webhook|epics|logbook):\S+$")


def validate_targets(value) -> None:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValidationError("Targets are a list of strings such as email:shift@lab.org.")
    bad = [t for t in value if not TARGET_RE.match(t)]
    if not bad:
        try:
            from apps.notifications.services import InvalidTarget, parse_target
        except ImportError:
            return
        problems = []
        for target in value:
            try:
                parse_target(target)
            except InvalidTarget as exc:
                problems.append(f"{target}: {exc}")
        if problems:
            raise ValidationError("; ".join(problems))
    if bad:
        raise ValidationError(
            f"{', '.join(bad[:3])}: a target is kind:address, kind one of {', '.join(TARGET_KINDS)}"
            " (email:shift@lab.org, webhook:https://chat/hook, epics:HYDRA:ALARM, logbook:default)."
        )


def parse_targets(text: str) -> list[str]:
    """Targets typed one per line or separated by commas."""
    return [t.strip() for t in re.split(r"[\n,]+", text or "") if t.strip()]


class Rule(models.Model):
    """When to raise an alarm for the plot types of one plot type or plot group (super groups included).

    ``kind`` says which condition fires it; ``clear_after`` consecutive Good runs resolve it
    (hysteresis); a plot type whose verdicts change ``flicker_changes`` times within the last
    ``flicker_window`` runs raises one "flicker" alarm instead. Notifications go to the plot type's
    expert (``notify_expert``) and to ``targets`` (the shift crew); unacknowledged after
    ``escalate_after_minutes`` they go to ``escalation_targets``; while firing they repeat at most
    every ``repeat_hours``.
    """

    # What an expert sets on the rule page and through the API (the form and the serializer share it).
    EDITABLE_FIELDS = [
        "name",
        "enabled",
        "plot_type",
        "plot_group",
        "kind",
        "severity",
        "k",
        "n",
        "streak",
        "stale_minutes",
        "live_minutes",
        "clear_after",
        "flicker_changes",
        "flicker_window",
        "notify_expert",
        "targets",
        "escalate_after_minutes",
        "escalation_targets",
        "repeat_hours",
    ]

    experiment = models.ForeignKey("experiments.Experiment", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    plot_type = models.ForeignKey(
        "plots.PlotType", null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text="One plot type…"
    )
    plot_group = models.ForeignKey(
        "plots.PlotGroup",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="…or every plot type of a group and of the groups under it.",
    )
    kind = models.CharField(max_length=24, choices=RuleKind.choices, default=RuleKind.K_OF_N)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MAJOR)
    k = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(1)], help_text="Bad runs…")
    n = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(50)], help_text="…of the last n runs."
    )
    streak = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="Unconfirmed streak: this many runs in a row.",
    )
    stale_minutes = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1)], help_text="Staleness: no new plot for this long…"
    )
    live_minutes = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(1)],
        help_text="…while the run is live: its newest plot (any type) is younger than this, or run conditions say so.",
    )
    clear_after = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="Hysteresis: resolve after this many consecutive Good runs.",
    )
    flicker_changes = models.PositiveSmallIntegerField(
        default=3, validators=[MaxValueValidator(50)], help_text="Flicker: this many verdict changes… (0: off)"
    )
    flicker_window = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(2), MaxValueValidator(50)], help_text="…within the last runs."
    )
    notify_expert = models.BooleanField(default=True, help_text="Notify the plot type's expert contact.")
    targets = models.JSONField(
        default=list, blank=True, validators=[validate_targets], help_text="The shift crew: email:, webhook:, epics:…"
    )
    escalate_after_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Unacknowledged this long: notify the escalation targets (empty: never)."
    )
    escalation_targets = models.JSONField(default=list, blank=True, validators=[validate_targets])
    repeat_hours = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.01)],
        help_text="Notify again while firing, at most this often (empty: once).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["experiment", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(plot_type__isnull=False, plot_group__isnull=True)
                | Q(plot_type__isnull=True, plot_group__isnull=False),
                name="rule_scope_one_of_type_or_group",
            )
        ]
        indexes = [models.Index(fields=["experiment", "enabled", "kind"], name="rule_exp_kind")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("alarm-rule-edit", args=[self.pk])

    @property
    def scope(self):
        return self.plot_type or self.plot_group

    def clean(self):
        if bool(self.plot_type_id) == bool(self.plot_group_id):
            raise ValidationError("Choose either a plot type or a plot group.")
        for scoped in (self.plot_type, self.plot_group):
            if scoped is not None and self.experiment_id and scoped.experiment_id != self.experiment_id:
                raise ValidationError(f"{scoped} belongs to another experiment.")
        if self.kind == RuleKind.K_OF_N and self.k > self.n:
            raise ValidationError("k cannot be more than n.")
        if self.escalate_after_minutes and not self.escalation_targets:
            raise ValidationError("Escalation needs at least one escalation target.")


class Silence(models.Model):
    """No notifications for alarms in a scope until ``ends_at`` (alarms are still raised and shown)."""

    experiment = models.ForeignKey("experiments.Experiment", on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.CASCADE, related_name="silences")
    plot_type = models.ForeignKey("plots.PlotType", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    plot_group = models.ForeignKey("plots.PlotGroup", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ends_at", "-id"]
        indexes = [models.Index(fields=["experiment", "ends_at"], name="silence_exp_end")]

    def __str__(self):
        scope = self.rule or self.plot_type or self.plot_group or "everything"
        return f"{scope} silenced until {self.ends_at:%Y-%m-%d %H:%M}"

    @property
    def active(self) -> bool:
        return self.starts_at <= timezone.now() < self.ends_at


class Alarm(models.Model):
    """A rule's condition met for one plot type: firing, then acknowledged, then resolved.

    ``open_key`` ("rule:plot type") is set while the alarm is open and cleared when it resolves; a
    unique index on it keeps one open alarm per rule and plot type, even with two workers at once.
    """

    experiment = models.ForeignKey("experiments.Experiment", on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="alarms")
    plot_type = models.ForeignKey("plots.PlotType", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MAJOR)
    state = models.CharField(max_length=12, choices=State.choices, default=State.FIRING)
    state_order = models.PositiveSmallIntegerField(default=0, help_text="0 firing, 1 acknowledged, 2 resolved.")
    open_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    summary = models.CharField(max_length=300)
    first_run = models.PositiveIntegerField(null=True, blank=True)
    last_run = models.PositiveIntegerField(null=True, blank=True)
    plot = models.ForeignKey("plots.Plot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    plot_ids = models.JSONField(default=list, blank=True, help_text="Plots to review (a flicker's runs).")
    opened_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    ack_comment = models.CharField(max_length=500, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    notifications = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["state_order", "-id"]
        indexes = [
            models.Index(fields=["experiment", "state_order", "-id"], name="alarm_exp_state"),
            models.Index(fields=["plot_type", "state_order", "-id"], name="alarm_type_state"),
            models.Index(fields=["rule", "state_order", "-id"], name="alarm_rule_state"),
            models.Index(fields=["state_order", "-id"], name="alarm_state"),
        ]
        permissions = [("acknowledge_alarm", "Can acknowledge and silence alarms")]

    def __str__(self):
        return f"{self.plot_type.name}: {self.get_reason_display()} ({self.rule.name})"

    def get_absolute_url(self):
        return reverse("alarm-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state != State.RESOLVED

    def set_state(self, state: str) -> None:
        self.state = state
        self.state_order = STATE_ORDER[state]
        if state == State.RESOLVED:
            self.open_key = None


class AlarmEvent(models.Model):
    """One step in an alarm's history: fired, notified (to whom), escalated, acknowledged, resolved…"""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["alarm", "at", "id"]
        indexes = [models.Index(fields=["alarm", "at"], name="alarm_event_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"
