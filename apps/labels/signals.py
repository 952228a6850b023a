"""Audit entries for labeling grants and deleted labels, whoever changes them (admin, pages, API, shell)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.audit import record
from apps.audit.middleware import current_user
from apps.audit.models import AuditEntry
from apps.labels.models import Label, LabelingGrant


@receiver(post_save, sender=LabelingGrant)
def grant_saved(sender, instance, created, **kwargs):
    record(current_user(), AuditEntry.Action.CHANGE_GRANTS, instance, change="created" if created else "changed")


@receiver(post_delete, sender=LabelingGrant)
def grant_deleted(sender, instance, **kwargs):
    record(current_user(), AuditEntry.Action.CHANGE_GRANTS, instance, change="deleted")


@receiver(post_delete, sender=Label)
def label_deleted(sender, instance, **kwargs):
    # Cascades from a deleted plot are not a labeling decision; only direct deletions count.
    if current_user() is not None:
        record(
            current_user(),
            AuditEntry.Action.DELETE_LABELS,
            instance,
            plot=instance.plot_id,
            label_class=instance.label_class_id,
        )
