"""What the status page and /metrics read besides the verdict and job tables: stage timings and daily tallies."""

from django.db import models

from apps.core.timing import STAGES


class StageTiming(models.Model):
    """One batch through one pipeline stage: how long it took and how many items it held.

    Written once per batch (a classification batch is up to 64 plots), so the table grows with
    batches, not images; rows older than ``RETENTION_DAYS`` are pruned as new ones arrive.
    """

    RETENTION_DAYS = 8

    stage = models.CharField(max_length=20, choices=[(s, s) for s in STAGES])
    at = models.DateTimeField(help_text="When the batch finished the stage.")
    seconds = models.FloatField(help_text="The whole batch's time.")
    count = models.PositiveIntegerField(default=1, help_text="Items in the batch.")

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["stage", "at"], name="stage_timing_recent")]

    def __str__(self):
        return f"{self.stage}: {self.count} in {self.seconds:.3f} s"

    @property
    def per_item(self) -> float:
        return self.seconds / max(1, self.count)


class DailyTally(models.Model):
    """How many items of a kind (plots ingested, images classified) a day saw: the status heat map and
    the metrics' totals read these few rows instead of counting tables of millions."""

    class Kind(models.TextChoices):
        INGESTED = "ingested", "Plots ingested"
        CLASSIFIED = "classified", "Images classified"

    day = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-day", "kind"]
        verbose_name_plural = "daily tallies"
        constraints = [models.UniqueConstraint(fields=["day", "kind"], name="unique_daily_tally")]

    def __str__(self):
        return f"{self.day} {self.kind}: {self.count}"
