"""The audit log of sensitive actions."""

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """Who did what to which object, when. Written by apps.audit.record; never edited."""

    class Action(models.TextChoices):
        ACTIVATE_MODEL = "model.activate", "Activate model"
        RETIRE_MODEL = "model.retire", "Retire model"
        EDIT_THRESHOLDS = "model.thresholds", "Edit thresholds"
        OVERWRITE_LABELS = "labels.overwrite", "Overwrite labels"
        ERASE_LABELS = "labels.erase", "Erase labels"
        DELETE_LABELS = "labels.delete", "Delete labels"
        CHANGE_ROLES = "roles.change", "Change roles"
        CHANGE_GRANTS = "grants.change", "Change labeling grants"
        EDIT_PLOT_TYPE_PAGE = "plot_type.edit", "Edit plot-type page"
        TOKEN = "token", "API token"
        DIRECTORY_REFUSED = "directory.refused", "Directory refused a login"
        DIRECTORY_ACCOUNT = "directory.account", "Directory took over an account"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor or 'system'} {self.get_action_display()} {self.object_repr}"
