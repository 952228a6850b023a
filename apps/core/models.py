"""Portal-wide content that admins edit: the news banner."""

from django.db import models
from django.utils import timezone


class Announcement(models.Model):
    """A news banner shown on every page while active."""

    class Level(models.TextChoices):
        INFO = "info", "Information"
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    message = models.CharField(max_length=500)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.INFO)
    active = models.BooleanField(default=True)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self):
        return self.message[:60]

    @classmethod
    def current(cls):
        now = timezone.now()
        return (
            cls.objects.filter(active=True, starts_at__lte=now)
            .filter(models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=now))
            .first()
        )
