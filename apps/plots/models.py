"""Plot types, plot groups (with super groups) and plots."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from apps.plots.choices import FileType, GroupKind


class PlotType(models.Model):
    """A kind of monitoring plot (one histogram of one detector), e.g. CDC_straw_occupancy."""

    experiment = models.ForeignKey("experiments.Experiment", on_delete=models.CASCADE, related_name="plot_types")
    name = models.CharField(max_length=200)
    detector = models.CharField(max_length=100, blank=True, db_index=True, help_text="Detector or system.")
    description = models.TextField(
        blank=True, help_text="Markdown: what a good plot looks like and what failures look like."
    )
    expert_contact = models.CharField(max_length=200, blank=True, help_text="Name and e-mail of the expert.")
    file_type = models.CharField(max_length=10, choices=FileType.choices, default=FileType.PNG)
    chunked = models.BooleanField(default=False, help_text="Plots come in numbered chunks per run.")
    ignored = models.BooleanField(default=False, help_text="Ingested but not shown or classified.")
    collect_fraction = models.FloatField(
        default=0.1,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Share of incoming plots kept for labeling.",
    )
    label_classes = models.ManyToManyField(
        "labels.LabelClass",
        blank=True,
        related_name="plot_types",
        help_text="Classes valid for this plot type; none selected means all of the experiment's.",
    )
    reference_plot = models.ForeignKey("Plot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["experiment", "name"]
        constraints = [models.UniqueConstraint(fields=["experiment", "name"], name="unique_plot_type_per_experiment")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("admin:plots_plottype_change", args=[self.pk])

    def valid_label_classes(self):
        """The label classes a plot of this type may carry."""
        from apps.labels.models import LabelClass

        chosen = self.label_classes.all()
        return chosen if chosen.exists() else LabelClass.objects.filter(experiment_id=self.experiment_id)


class PlotGroup(models.Model):
    """A named set of plot types (Calorimeters, a campaign, a working group).

    Groups nest: a group may belong to several parent groups (super groups), and a
    super group selects every plot type under it. Cycles are rejected.
    """

    experiment = models.ForeignKey("experiments.Experiment", on_delete=models.CASCADE, related_name="plot_groups")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    kind = models.CharField(max_length=20, choices=GroupKind.choices, default=GroupKind.DETECTOR)
    description = models.TextField(blank=True)
    plot_types = models.ManyToManyField(PlotType, blank=True, related_name="groups")
    parents = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="children", help_text="Super groups."
    )

    class Meta:
        ordering = ["experiment", "name"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "slug"], name="unique_plot_group_slug"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:200]
        super().save(*args, **kwargs)

    def descendant_ids(self) -> set[int]:
        """Ids of this group and every group under it, one query per level."""
        seen = {self.pk}
        frontier = {self.pk}
        through = PlotGroup.parents.through
        while frontier:
            children = set(
                through.objects.filter(to_plotgroup_id__in=frontier).values_list("from_plotgroup_id", flat=True)
            )
            frontier = children - seen
            seen |= frontier
        return seen

    def ancestor_ids(self) -> set[int]:
        """Ids of every group above this one (not including itself)."""
        seen: set[int] = set()
        frontier = {self.pk}
        through = PlotGroup.parents.through
        while frontier:
            parents = set(
                through.objects.filter(from_plotgroup_id__in=frontier).values_list("to_plotgroup_id", flat=True)
            )
            frontier = parents - seen
            seen |= frontier
        return seen

    def all_plot_types(self):
        """Every plot type in this group or in any group under it."""
        return PlotType.objects.filter(groups__in=self.descendant_ids()).distinct()

    def check_parents(self, parent_ids) -> None:
        """Raise ValidationError when making ``parent_ids`` parents of this group would close a cycle."""
        if not self.pk:
            return
        below = self.descendant_ids()
        looping = below.intersection(int(p) for p in parent_ids)
        if looping:
            names = ", ".join(PlotGroup.objects.filter(pk__in=looping).values_list("name", flat=True))
            raise ValidationError(f"{names} is already inside {self.name}: a group cannot contain itself.")


def media_url(path: str) -> str:
    prefix = settings.MEDIA_URL if settings.MEDIA_URL.startswith("/") else "/" + settings.MEDIA_URL
    return prefix + path


class Plot(models.Model):
    """One monitoring image: a plot type, for one run of one campaign (and chunk).

    The image lives on disk under MEDIA_ROOT addressed by its SHA-256; the row holds the
    path, size and hash. Experiment, run period and run number are copied from the run so
    that the browser filters and sorts on one table with covering indexes.
    """

    plot_type = models.ForeignKey(PlotType, on_delete=models.PROTECT, related_name="plots")
    run = models.ForeignKey("experiments.Run", on_delete=models.PROTECT, related_name="plots")
    campaign = models.ForeignKey("experiments.Campaign", on_delete=models.PROTECT, related_name="plots")
    chunk = models.PositiveIntegerField(default=0)
    experiment = models.ForeignKey("experiments.Experiment", on_delete=models.PROTECT, related_name="plots")
    run_period = models.ForeignKey("experiments.RunPeriod", on_delete=models.PROTECT, related_name="plots")
    run_number = models.PositiveIntegerField()

    image = models.CharField(max_length=200, help_text="Path under MEDIA_ROOT.")
    thumbnail = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    original_path = models.CharField(max_length=500, blank=True)
    ingested_at = models.DateTimeField(auto_now_add=True)
    training_weight = models.PositiveSmallIntegerField(
        default=1, help_text="0 = test only; n = repeated n times in training."
    )
    simulated_failure = models.CharField(
        max_length=50,
        blank=True,
        help_text="Failure mode this image was generated with, if simulated.",
    )

    # The current label (newest Label row), kept here so the browser filters on one table.
    label_class = models.ForeignKey(
        "labels.LabelClass", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    labeled_at = models.DateTimeField(null=True, blank=True)

    # The newest verdict of a model (apps.monitoring.Classification), copied for the same reason.
    verdict_class = models.ForeignKey(
        "labels.LabelClass", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verdict_confidence = models.FloatField(null=True, blank=True)
    verdict_confirmed = models.BooleanField(null=True, blank=True)
    classified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-run_number", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["plot_type", "run", "campaign", "chunk"], name="unique_plot_slot"),
        ]
        indexes = [
            # Keyset pagination: each covers a filter plus the (sort key, id) order.
            models.Index(fields=["experiment", "-run_number", "-id"], name="plot_exp_run"),
            models.Index(fields=["experiment", "-id"], name="plot_exp_recent"),
            models.Index(fields=["plot_type", "-run_number", "-id"], name="plot_type_run"),
            models.Index(
                fields=["plot_type", "label_class", "-run_number", "-id"],
                name="plot_type_label_run",
            ),
            models.Index(fields=["campaign", "-run_number", "-id"], name="plot_campaign_run"),
            models.Index(fields=["run_period", "-run_number", "-id"], name="plot_period_run"),
            models.Index(fields=["label_class", "-run_number", "-id"], name="plot_label_run"),
            models.Index(
                fields=["plot_type", "verdict_class", "-run_number", "-id"],
                name="plot_type_verdict_run",
            ),
            models.Index(fields=["experiment", "verdict_confidence", "id"], name="plot_exp_confidence"),
            models.Index(fields=["plot_type", "verdict_confidence", "id"], name="plot_type_confidence"),
            models.Index(fields=["run", "plot_type"], name="plot_run_type"),
            # The shift brief counts a period's plots and runs on this index alone (apps.briefs).
            models.Index(fields=["experiment", "ingested_at", "run_number"], name="plot_exp_ingested"),
        ]

    def __str__(self):
        chunk = f"_{self.chunk:04d}" if self.chunk else ""
        return f"{self.plot_type.name}{chunk} run {self.run_number}"

    def get_absolute_url(self):
        return reverse("plot-image", args=[self.pk])

    @classmethod
    def from_stored(cls, stored, *, plot_type: "PlotType", run, campaign, chunk: int = 0, **fields) -> "Plot":
        """An unsaved plot of ``plot_type`` for ``run`` and ``campaign`` holding the stored image ``stored``
        (an apps.plots.imaging.StoredImage): its files, hash, size and pixels, and the experiment, run
        period and run number copied from the type and the run. ``fields`` sets the others."""
        return cls(
            plot_type=plot_type,
            run=run,
            campaign=campaign,
            chunk=chunk,
            experiment_id=plot_type.experiment_id,
            run_period_id=run.run_period_id,
            run_number=run.number,
            image=stored.image,
            thumbnail=stored.thumbnail,
            sha256=stored.sha256,
            size_bytes=stored.size_bytes,
            width=stored.width,
            height=stored.height,
            **fields,
        )

    @property
    def image_url(self) -> str:
        return media_url(self.image)

    @property
    def thumbnail_url(self) -> str:
        return media_url(self.thumbnail)

    @property
    def download_name(self) -> str:
        """File name for downloads: carries run number and plot type."""
        ext = self.image.rsplit(".", 1)[-1]
        chunk = f"_{self.chunk:04d}" if self.chunk else ""
        return f"Run{self.run_number:06d}_{self.plot_type.name}{chunk}.{ext}"


class PlotCount(models.Model):
    """How many plots a plot type holds, kept so that no page counts millions of rows.

    Ingest and upload add in the transaction that inserts the plots, a delete subtracts in its
    own, both with ``F()`` so concurrent writers never lose an update. ``manage.py recount``
    rebuilds the figures from the plots table.
    """

    plot_type = models.OneToOneField(PlotType, on_delete=models.CASCADE, primary_key=True, related_name="count")
    experiment = models.ForeignKey("experiments.Experiment", on_delete=models.CASCADE, related_name="+")
    plots = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["experiment"], name="plotcount_experiment")]

    def __str__(self):
        return f"{self.plot_type_id}: {self.plots} plots"
