"""Label classes, labels (every submission kept as history) and labeling grants."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from apps.labels.choices import BAD_COLOUR, Meaning

colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour like #2e9e4f.")


class LabelClass(models.Model):
    """A class a plot can be labeled with, per experiment (Good, Bad, NoData, HotChannel...)."""

    experiment = models.ForeignKey("experiments.Experiment", on_delete=models.CASCADE, related_name="label_classes")
    name = models.CharField(max_length=50)
    colour = models.CharField(max_length=7, validators=[colour_validator], default="#4c6ef5")
    hotkey = models.CharField(max_length=1, blank=True, help_text="One key that paints this class in the labeler.")
    meaning = models.CharField(max_length=10, choices=Meaning.choices, default=Meaning.OTHER)
    excluded_from_training = models.BooleanField(default=False, help_text="Never trained on (for classes like Ignore).")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["experiment", "order", "name"]
        verbose_name_plural = "label classes"
        constraints = [
            models.UniqueConstraint(fields=["experiment", "name"], name="unique_label_class_name"),
            models.UniqueConstraint(
                fields=["experiment", "hotkey"],
                condition=~Q(hotkey=""),
                name="unique_label_class_hotkey",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.colour.lower() == BAD_COLOUR and self.meaning != Meaning.BAD:
            raise ValidationError({"colour": "Red is reserved for Bad classes."})
        if self.hotkey and not self.hotkey.isprintable():
            raise ValidationError({"hotkey": "Use a printable key."})


class Label(models.Model):
    """One labeling of one plot. Every submission is kept; the newest is the plot's current label."""

    plot = models.ForeignKey("plots.Plot", on_delete=models.CASCADE, related_name="labels")
    label_class = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="labels")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="labels",
    )
    comment = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["plot", "-created_at"], name="label_plot_history"),
            models.Index(fields=["user", "-created_at"], name="label_user_recent"),
            # The labeler's leaderboard counts a plot type's labels per user from this index alone.
            models.Index(fields=["plot", "user"], name="label_plot_user"),
        ]

    def __str__(self):
        return f"{self.label_class} on plot {self.plot_id}"


class LabelCount(models.Model):
    """How many plots of a plot type currently carry a label class, kept so the dashboard counts no rows.

    Labeling and erasing change the figures in their own transaction, from the plots' previous
    classes read under a row lock, with ``F()`` so concurrent labelers never lose an update; deleting
    a plot subtracts its class. ``manage.py recount`` rebuilds them.
    """

    plot_type = models.ForeignKey("plots.PlotType", on_delete=models.CASCADE, related_name="+")
    label_class = models.ForeignKey(LabelClass, on_delete=models.CASCADE, related_name="+")
    experiment = models.ForeignKey("experiments.Experiment", on_delete=models.CASCADE, related_name="+")
    plots = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plot_type", "label_class"], name="unique_label_count")]
        indexes = [models.Index(fields=["experiment"], name="labelcount_experiment")]

    def __str__(self):
        return f"{self.label_class_id} on type {self.plot_type_id}: {self.plots}"


class LabelingGrant(models.Model):
    """Permission to label one plot type, or every plot type under a plot group.

    Given to a user or to a Django group (role); exactly one of each pair is set.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="labeling_grants",
    )
    group = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="labeling_grants",
    )
    plot_type = models.ForeignKey(
        "plots.PlotType",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="labeling_grants",
    )
    plot_group = models.ForeignKey(
        "plots.PlotGroup",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="labeling_grants",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True) | Q(user__isnull=True, group__isnull=False),
                name="grant_to_user_xor_group",
            ),
            models.CheckConstraint(
                condition=Q(plot_type__isnull=False, plot_group__isnull=True)
                | Q(plot_type__isnull=True, plot_group__isnull=False),
                name="grant_on_type_xor_group",
            ),
        ]

    def __str__(self):
        who = self.user or self.group
        what = self.plot_type or self.plot_group
        return f"{who} may label {what}"

    def clean(self):
        if bool(self.user_id) == bool(self.group_id):
            raise ValidationError("Grant to either a user or a group, not both or neither.")
        if bool(self.plot_type_id) == bool(self.plot_group_id):
            raise ValidationError("Grant on either a plot type or a plot group, not both or neither.")
