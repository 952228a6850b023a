"""Experiments, run periods, runs and campaigns: where and when a plot was made."""

from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from apps.experiments.choices import CampaignKind


class Experiment(models.Model):
    """A collaboration whose detector produces monitoring plots (GlueX, CLAS12, ePIC...)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    logo = models.ImageField(upload_to="logos/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:100]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("admin:experiments_experiment_change", args=[self.pk])


class RunPeriod(models.Model):
    """A named stretch of data taking; its name is the path prefix of the images."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="run_periods")
    name = models.CharField(max_length=100)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["experiment", "-name"]
        constraints = [models.UniqueConstraint(fields=["experiment", "name"], name="unique_run_period_per_experiment")]

    def __str__(self):
        return self.name


class Run(models.Model):
    """One run of the detector. Number 0 marks simulated images."""

    SIMULATED = 0

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="runs")
    run_period = models.ForeignKey(RunPeriod, on_delete=models.PROTECT, related_name="runs")
    number = models.PositiveIntegerField(validators=[MinValueValidator(0)])
    started_at = models.DateTimeField(null=True, blank=True)
    # Run-conditions data as recorded by the experiment (beam current, target, trigger...).
    conditions = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["experiment", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "number"], name="unique_run_number_per_experiment")
        ]
        indexes = [models.Index(fields=["run_period", "number"], name="run_period_number")]

    def __str__(self):
        return "simulated" if self.is_simulated else f"Run {self.number:06d}"

    @property
    def is_simulated(self) -> bool:
        return self.number == self.SIMULATED


class Campaign(models.Model):
    """A source of plots: online monitoring, an offline version, a simulation or calibration pass."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=CampaignKind.choices, default=CampaignKind.ONLINE)
    is_reference = models.BooleanField(
        default=False, help_text="Plots of this campaign are the reference others are compared to."
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["experiment", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["experiment", "name"], name="unique_campaign_per_experiment")]

    def __str__(self):
        return self.name
