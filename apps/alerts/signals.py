"""Alarms listen to the apps below them: verdicts stored (monitoring) and validation reports finished."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.monitoring.signals import verdicts_recorded
from apps.validation.models import ValidationReport


@receiver(verdicts_recorded, dispatch_uid="alerts.evaluate_verdicts")
def evaluate_verdicts(sender, classification_ids, **kwargs):
    from apps.alerts.evaluate import on_verdicts

    on_verdicts(classification_ids)


@receiver(post_save, sender=ValidationReport, dispatch_uid="alerts.evaluate_validation_report")
def evaluate_validation_report(sender, instance, update_fields=None, **kwargs):
    from apps.alerts.evaluate import on_validation_report
    from apps.validation.choices import ReportStatus

    if instance.status == ReportStatus.READY and (update_fields is None or "status" in update_fields):
        on_validation_report(instance)
