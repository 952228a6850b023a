"""The model registry (trained classifiers per plot type), active models, and every verdict."""

from django.conf import settings
from django.db import models
from django.urls import reverse


class ClassifierModel(models.Model):
    """One trained (or training) network for one plot type.

    Keeps what was asked (architecture, hyper-parameters, parent), what it learned from (the
    training-data fingerprint and plot ids), how it did (metrics, confusion matrix, curves)
    and the per-class thresholds with who or what set each: ``{"Bad": {"value": 0.9,
    "set_by": "max-f1" | "initial" | "user", "user": "alice", "at": "..."}}``.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        TRAINING = "training", "Training"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        RETIRED = "retired", "Retired"

    plot_type = models.ForeignKey("plots.PlotType", on_delete=models.CASCADE, related_name="classifier_models")
    architecture = models.CharField(max_length=50, default="compact")
    version = models.PositiveIntegerField(help_text="1, 2, 3... per plot type.")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children", help_text="Fine-tuned from."
    )
    plot_types = models.ManyToManyField(
        "plots.PlotType",
        blank=True,
        related_name="shared_models",
        help_text="Every plot type it learned from and may classify (its own included); one model for many.",
    )
    hyper_parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    label_map = models.JSONField(default=list, blank=True, help_text="Class names, in output order.")
    class_ids = models.JSONField(default=list, blank=True, help_text="LabelClass ids, in output order.")
    input_shape = models.JSONField(default=list, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    confusion_matrix = models.JSONField(default=dict, blank=True, help_text="matrix and per-cell histograms.")
    curves = models.JSONField(default=dict, blank=True, help_text="loss / accuracy per epoch.")
    thresholds = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    training_plot_ids = models.JSONField(default=list, blank=True)
    test_plot_ids = models.JSONField(default=list, blank=True)
    path = models.CharField(
        max_length=300, blank=True, help_text="Model file (.keras, with a .json sidecar) under MEDIA_ROOT."
    )
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    trained_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plot_type", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["plot_type", "version"], name="unique_model_version"),
        ]
        indexes = [models.Index(fields=["plot_type", "status", "-version"], name="model_type_status")]
        permissions = [("activate_model", "Can activate a model for a plot type")]

    def __str__(self):
        return f"{self.plot_type.name} v{self.version} ({self.architecture})"

    def get_absolute_url(self):
        return reverse("model-page", args=[self.pk])

    @property
    def name(self) -> str:
        return f"v{self.version} {self.architecture}"

    def covered_type_ids(self) -> list[int]:
        """Plot types this model learned from and may be activated for."""
        ids = set(self.plot_types.values_list("id", flat=True)) if self.pk else set()
        return sorted(ids | {self.plot_type_id})

    def figures_for(self, plot_type) -> dict:
        """Test figures (tested_on, accuracy, bad_recall, bad_precision) of this model on ``plot_type``.

        ``scope`` is "type" when they are this plot type's own, "all" when a model shared by several
        plot types was evaluated before figures were kept per type (then they are for all of them).
        """
        metrics = self.metrics or {}
        keys = ("tested_on", "accuracy", "bad_recall", "bad_precision")
        per_type = metrics.get("per_plot_type")
        if per_type is not None:
            own = per_type.get(plot_type.name) or {"tested_on": 0}
            return {**{k: own.get(k) for k in keys}, "scope": "type"}
        shared = len({t.pk for t in self.plot_types.all()} | {self.plot_type_id}) > 1
        return {**{k: metrics.get(k) for k in keys}, "scope": "all" if shared else "type"}

    def threshold_values(self) -> dict[str, float]:
        return {name: float(t.get("value", 0.5)) for name, t in (self.thresholds or {}).items()}

    def local_path(self):
        """A local path of the model file with its sidecar (fetched once from object storage)."""
        from apps.core import files

        return files.local_model(self.path) if self.path else None

    def checkpoint_path(self):
        """The folder where training keeps its state after each epoch, to resume after a dead worker.

        Under the media root when it is a local (shared) folder; with object storage in this
        machine's cache, so a re-run on another machine trains from the first epoch.
        """
        from pathlib import Path

        from apps.core import files

        root = files.local_root() or Path(settings.STORAGE_CACHE_DIR) / "checkpoints"
        return root / "models" / str(self.plot_type_id) / f"{self.pk}-checkpoint"

    def remove_checkpoint(self) -> None:
        import shutil

        shutil.rmtree(self.checkpoint_path(), ignore_errors=True)


class ActiveModel(models.Model):
    """The one model that classifies new plots of a plot type."""

    plot_type = models.OneToOneField("plots.PlotType", on_delete=models.CASCADE, related_name="active_model")
    model = models.ForeignKey(ClassifierModel, on_delete=models.CASCADE, related_name="+")
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.plot_type} → {self.model}"


class Activation(models.Model):
    """Log of activations: who made which model active, when, replacing which one."""

    plot_type = models.ForeignKey("plots.PlotType", on_delete=models.CASCADE, related_name="activations")
    model = models.ForeignKey(ClassifierModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    previous = models.ForeignKey(ClassifierModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.plot_type}: {self.previous} → {self.model}"


class Classification(models.Model):
    """One inference of one plot by one model: one per plot and model (classifying again replaces it);
    every model's is kept, and the plot shows the newest.

    ``confirmed`` is true when the confidence reached the model's threshold for the verdict
    class; unconfirmed verdicts ask for a second opinion. Plot type and run number are copied
    from the plot so the log and runtime pages filter on this table alone.
    """

    plot = models.ForeignKey("plots.Plot", on_delete=models.CASCADE, related_name="classifications")
    model = models.ForeignKey(ClassifierModel, on_delete=models.CASCADE, related_name="classifications")
    plot_type = models.ForeignKey("plots.PlotType", on_delete=models.CASCADE, related_name="+")
    run_number = models.PositiveIntegerField()
    verdict_class = models.ForeignKey("labels.LabelClass", on_delete=models.PROTECT, related_name="+")
    confidence = models.FloatField()
    scores = models.JSONField(default=dict, help_text="Every class's score.")
    confirmed = models.BooleanField()
    gradcam = models.CharField(max_length=200, blank=True, help_text="Heat map PNG under MEDIA_ROOT.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="cls_recent"),
            models.Index(fields=["plot_type", "-created_at"], name="cls_type_recent"),
            models.Index(fields=["plot", "-created_at"], name="cls_plot_history"),
            models.Index(fields=["model", "-created_at"], name="cls_model_recent"),
            models.Index(fields=["run_number", "plot_type"], name="cls_run_type"),
            # Trends read one plot type's verdicts in run order (apps.operations).
            models.Index(fields=["plot_type", "run_number"], name="cls_type_run"),
            # The shift brief aggregates a period's verdicts on this index alone (apps.briefs).
            models.Index(
                fields=["created_at", "plot_type", "verdict_class", "confirmed", "run_number", "confidence"],
                name="cls_period",
            ),
        ]

    def __str__(self):
        return f"{self.verdict_class} @ {self.confidence:.2f} on plot {self.plot_id}"

    @property
    def gradcam_url(self) -> str:
        from apps.plots.models import media_url

        return media_url(self.gradcam) if self.gradcam else ""
