"""Experiments, run periods, runs and campaigns: where and when a plot was made."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from apps.experiments.choices import CampaignKind

CONDITION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,99}")


class Experiment(models.Model):
    """A collaboration whose detector produces monitoring plots (GlueX, CLAS12, ePIC...)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    logo = models.ImageField(upload_to="logos/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    production_conditions = models.TextField(
        blank=True,
        help_text="Runs matching this condition expression are production runs, e.g. "
        "'@is_production and beam_current > 100'; verdicts on other runs are shown muted and raise no "
        "alarm. Empty: every run counts as production.",
    )
    rcdb_url = models.CharField(
        "RCDB URL",
        max_length=500,
        blank=True,
        help_text="Run Conditions Database to copy conditions from (manage.py sync_conditions), e.g. "
        "mysql://rcdb@hallddb.jlab.org/rcdb2 or sqlite:////data/rcdb.sqlite. Empty: HYDRA_RCDB_URL.",
    )
    rcdb_conditions = models.CharField(
        "RCDB conditions",
        max_length=1000,
        blank=True,
        help_text="Comma-separated RCDB condition names copied into each run, e.g. "
        "'is_production, beam_current, run_type, target'.",
    )

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

    def clean(self):
        from apps.experiments.conditions import ConditionError, validate

        super().clean()
        try:
            self.production_conditions = validate(self.production_conditions)
        except ConditionError as exc:
            raise ValidationError({"production_conditions": str(exc)}) from None
        names = [n.strip() for n in self.rcdb_conditions.split(",") if n.strip()]
        bad = [n for n in names if not CONDITION_NAME.fullmatch(n)]
        if bad:
            raise ValidationError({"rcdb_conditions": f"not a condition name: {', '.join(bad[:5])}"})
        self.rcdb_conditions = ", ".join(dict.fromkeys(names))

    @property
    def rcdb_condition_names(self) -> list[str]:
        return [n.strip() for n in self.rcdb_conditions.split(",") if n.strip()]


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

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        # The searchable copy of the conditions follows every save (a new run without any has none).
        if self.conditions or not adding:
            from apps.experiments.production import index_conditions

            index_conditions([self])

    def clean(self):
        from apps.experiments.condition_values import check_conditions

        super().clean()
        try:
            check_conditions(self.conditions)
        except ValueError as exc:
            raise ValidationError({"conditions": str(exc)}) from None

    @property
    def is_simulated(self) -> bool:
        return self.number == self.SIMULATED


class RunCondition(models.Model):
    """One condition of one run, as a row: the index that condition expressions are answered from.

    Kept equal to ``Run.conditions`` by ``Run.save`` and ``index_conditions`` (sync_conditions,
    the API, ingest). Numbers and booleans (1/0) go to ``number``; strings of up to 255 characters,
    lower-cased, to ``text``; other values are not indexed.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="condition_rows")
    name = models.CharField(max_length=100)
    number = models.FloatField(null=True, blank=True)
    text = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "name"], name="unique_condition_per_run")]
        indexes = [
            models.Index(fields=["name", "number", "run"], name="runcond_name_number"),
            models.Index(fields=["name", "text", "run"], name="runcond_name_text"),
        ]

    def __str__(self):
        return f"{self.name}={self.number if self.text is None else self.text}"


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
