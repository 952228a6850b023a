"""Validation without labels: embedding maps, autoencoder and Siamese models, thresholds and campaign reports.

Vectors are float32 bytes in binary columns (``ml.embeddings.to_blob``), model files and
images live under MEDIA_ROOT/validation/ with their paths here, never their bytes.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from apps.validation.choices import EmbeddingMethod, ReportStatus, ThresholdSource, Verdict

UNIT = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class EmbeddingSpace(models.Model):
    """The embedding map of one plot type: an encoder, a vector and 2-D t-SNE position per plot, clusters.

    Recomputing replaces its points; plots that arrive later are placed on the existing map
    (k-NN in embedding space) and marked ``placed`` until the next recomputation.
    """

    plot_type = models.ForeignKey("plots.PlotType", on_delete=models.CASCADE, related_name="embedding_spaces")
    method = models.CharField(max_length=20, choices=EmbeddingMethod.choices, default=EmbeddingMethod.AUTOENCODER)
    dim = models.PositiveSmallIntegerField(default=0)
    encoder_path = models.CharField(max_length=300, blank=True, help_text="Encoder file under MEDIA_ROOT.")
    engine = models.CharField(max_length=20, blank=True, help_text="t-SNE engine that made the map.")
    cluster_method = models.CharField(max_length=20, default="kmeans")
    n_clusters = models.PositiveSmallIntegerField(default=0)
    n_points = models.PositiveIntegerField(default=0)
    info = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plot_type", "method"]
        constraints = [models.UniqueConstraint(fields=["plot_type", "method"], name="unique_map_per_type_method")]

    def __str__(self):
        return f"{self.plot_type} ({self.get_method_display()})"

    def get_absolute_url(self):
        return reverse("validation-explore") + f"?plot_type={self.plot_type_id}&method={self.method}"


class PlotEmbedding(models.Model):
    """One plot on one map: its vector, map position, cluster and "how different" scores."""

    space = models.ForeignKey(EmbeddingSpace, on_delete=models.CASCADE, related_name="points")
    plot = models.ForeignKey("plots.Plot", on_delete=models.CASCADE, related_name="embeddings")
    vector = models.BinaryField(help_text="float32 little-endian, space.dim values.")
    x = models.FloatField()
    y = models.FloatField()
    cluster = models.SmallIntegerField(default=0, help_text="-1: noise (HDBSCAN).")
    outlier_score = models.FloatField(default=0.0, help_text="0 typical … 1 most different.")
    mislabel_score = models.FloatField(default=0.0, help_text="Share of close labeled plots that disagree.")
    suggested_label = models.ForeignKey(
        "labels.LabelClass", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed = models.BooleanField(default=False, help_text="Placed on an existing map, not part of its fit.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["space", "plot"], name="unique_point_per_map")]
        indexes = [
            models.Index(fields=["space", "-outlier_score"], name="embedding_outlier"),
            models.Index(fields=["space", "-mislabel_score"], name="embedding_mislabel"),
        ]

    def __str__(self):
        return f"plot {self.plot_id} on map {self.space_id}"


class TrainedModel(models.Model):
    """What the autoencoder and the Siamese model of a plot type share: the model file and its input shape,
    how many plots trained it (and their fingerprint), its metrics, whether it is in use, and the job that
    trained it. Each model declares its ``plot_type`` (its own related name) and its own fields."""

    path = models.CharField(max_length=300, help_text="Model file (.keras, with a .json sidecar) under MEDIA_ROOT.")
    input_shape = models.JSONField(default=list)
    trained_on = models.PositiveIntegerField(default=0)
    fingerprint = models.CharField(max_length=64, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["plot_type", "-created_at"]


class AutoencoderModel(TrainedModel):
    """A convolutional autoencoder of one plot type trained on its known-normal plots (labeled Good, or of a
    reference campaign); the newest active one scores."""

    plot_type = models.ForeignKey("plots.PlotType", on_delete=models.CASCADE, related_name="autoencoders")
    threshold = models.FloatField(help_text="Scores above it are anomalous.")
    threshold_method = models.CharField(max_length=50, default="mean+3sd")
    threshold_set_by = models.CharField(max_length=20, choices=ThresholdSource.choices, default=ThresholdSource.INITIAL)

    class Meta(TrainedModel.Meta):
        pass

    def __str__(self):
        return f"autoencoder #{self.pk} of {self.plot_type}"


class AnomalyScore(models.Model):
    """A plot's reconstruction error under an autoencoder: high means unlike the normal plots it learned from."""

    model = models.ForeignKey(AutoencoderModel, on_delete=models.CASCADE, related_name="scores")
    plot = models.ForeignKey("plots.Plot", on_delete=models.CASCADE, related_name="anomaly_scores")
    score = models.FloatField()
    anomalous = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model", "plot"], name="unique_score_per_model")]
        indexes = [models.Index(fields=["model", "-score"], name="anomaly_rank")]

    def __str__(self):
        return f"plot {self.plot_id}: {self.score:.4g}"


class SiameseModel(TrainedModel):
    """A Siamese network of one plot type that scores how alike two plots are (0..1)."""

    plot_type = models.ForeignKey("plots.PlotType", on_delete=models.CASCADE, related_name="siamese_models")

    class Meta(TrainedModel.Meta):
        pass

    def __str__(self):
        return f"Siamese #{self.pk} of {self.plot_type}"


class ValidationThreshold(models.Model):
    """Per plot type: similarity below which a comparison warns or fails (statistical and Siamese)."""

    plot_type = models.OneToOneField("plots.PlotType", on_delete=models.CASCADE, related_name="validation_threshold")
    warn_below = models.FloatField(default=0.5, validators=UNIT, help_text="Statistical similarity: warn below.")
    fail_below = models.FloatField(default=0.25, validators=UNIT, help_text="Statistical similarity: fail below.")
    siamese_warn_below = models.FloatField(default=0.5, validators=UNIT)
    siamese_fail_below = models.FloatField(default=0.2, validators=UNIT)
    set_by = models.CharField(max_length=20, choices=ThresholdSource.choices, default=ThresholdSource.INITIAL)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    DEFAULTS = {"warn_below": 0.5, "fail_below": 0.25, "siamese_warn_below": 0.5, "siamese_fail_below": 0.2}

    class Meta:
        ordering = ["plot_type"]

    def __str__(self):
        return f"thresholds of {self.plot_type}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.fail_below > self.warn_below or self.siamese_fail_below > self.siamese_warn_below:
            raise ValidationError("The fail threshold must not be above the warn threshold.")


class ValidationReport(models.Model):
    """A campaign compared plot type by plot type with a reference campaign; recomputed as plots arrive."""

    experiment = models.ForeignKey("experiments.Experiment", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey("experiments.Campaign", on_delete=models.CASCADE, related_name="validation_reports")
    reference = models.ForeignKey("experiments.Campaign", on_delete=models.CASCADE, related_name="+")
    reference_chosen_automatically = models.BooleanField(default=False)
    auto_update = models.BooleanField(default=True, help_text="Recompute when plots of either campaign arrive.")
    conditions = models.CharField(
        max_length=500,
        blank=True,
        default="",
        help_text="Only runs matching this run-condition expression are compared (both campaigns); empty: all runs.",
    )
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    summary = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=500, blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "reference", "conditions"], name="unique_report_per_pair"),
        ]

    def __str__(self):
        return f"{self.campaign} vs {self.reference}" + (f" where {self.conditions}" if self.conditions else "")

    def get_absolute_url(self):
        return reverse("validation-report", args=[self.pk])


class ValidationResult(models.Model):
    """One plot type's line in a report: score, verdict, and its worst plots beside their reference."""

    report = models.ForeignKey(ValidationReport, on_delete=models.CASCADE, related_name="results")
    plot_type = models.ForeignKey("plots.PlotType", on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField(default=0, help_text="1 = worst.")
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    reason = models.CharField(max_length=200, blank=True)
    score = models.FloatField(null=True, blank=True, help_text="Worst statistical similarity (0..1).")
    siamese_score = models.FloatField(null=True, blank=True, help_text="Worst Siamese similarity (0..1).")
    distances = models.JSONField(default=dict, blank=True, help_text="chi2, ks, mad, profile of the worst plot.")
    calibration = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True, help_text="Plots per verdict.")
    n_plots = models.PositiveIntegerField(default=0)
    n_reference = models.PositiveIntegerField(default=0)
    worst_plot = models.ForeignKey("plots.Plot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reference_plot = models.ForeignKey("plots.Plot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    plots = models.JSONField(default=list, blank=True, help_text="The worst plots: id, run, score, verdict, reason.")

    class Meta:
        ordering = ["report", "rank"]
        constraints = [models.UniqueConstraint(fields=["report", "plot_type"], name="unique_result_per_type")]

    def __str__(self):
        return f"{self.plot_type}: {self.verdict}"


class HistogramSource(models.Model):
    """The histogram data a plot was drawn from (kept as .npz), so failures can be simulated from it."""

    plot = models.OneToOneField("plots.Plot", on_delete=models.CASCADE, related_name="histogram_source")
    path = models.CharField(max_length=300, help_text=".npz under MEDIA_ROOT.")
    source_file = models.CharField(max_length=500, blank=True)
    histogram_path = models.CharField(max_length=300, blank=True)
    draw = models.JSONField(default=dict, blank=True, help_text="How it was drawn: width, height, draw option.")
    entries = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.histogram_path or self.path} → plot {self.plot_id}"
