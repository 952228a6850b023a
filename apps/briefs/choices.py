from django.db import models


class ScheduleKind(models.TextChoices):
    SHIFTS = "shifts", "Three 8-hour shifts"
    DAILY = "daily", "Daily at a set hour"


class BriefStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
