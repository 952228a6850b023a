"""The notification outbox: one ``Delivery`` per message and target, written in the transaction of
the event it is about, and sent afterwards (right after the commit, and by the scheduler's retries).
"""

from django.db import models
from django.urls import reverse
from django.utils import timezone


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"
    EPICS = "epics", "EPICS PV"
    LOGBOOK = "logbook", "Logbook"


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One message to one target: queued → sent, or failed after the last attempt (with the reason).

    A sender claims a due row by moving ``next_attempt_at`` past the send timeout in one UPDATE, so
    the thread that sends right after the commit and the scheduler never send the same row twice.
    """

    channel = models.CharField(max_length=10, choices=Channel.choices)
    target = models.CharField(max_length=500, help_text="Address, URL, PV name or logbook name.")
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True, help_text="Machine-readable part (webhooks, EPICS, tags).")
    image = models.CharField(max_length=200, blank=True, help_text="A plot image to attach: path under MEDIA_ROOT.")
    image_label = models.CharField(max_length=100, blank=True, help_text="Stamped on the attached image.")
    source = models.CharField(max_length=100, blank=True, help_text='What it is about, e.g. "alarm:12".')
    dedupe_key = models.CharField(
        max_length=200, null=True, blank=True, unique=True, help_text="The same key is never queued twice."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["status", "id"], name="delivery_status"),
            models.Index(fields=["channel", "status", "id"], name="delivery_channel"),
        ]

    def __str__(self):
        return f"{self.channel}:{self.target} ({self.status})"

    def get_absolute_url(self):
        return reverse("delivery-log") + f"?id={self.pk}"

    @property
    def spec(self) -> str:
        return f"{self.channel}:{self.target}"

    def as_event(self) -> dict:
        return {
            "id": self.pk,
            "channel": self.channel,
            "target": self.target,
            "subject": self.subject,
            "status": self.status,
            "attempts": self.attempts,
            "last_error": self.last_error[:300],
            "source": self.source,
        }
