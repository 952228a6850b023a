"""Alarms listen to the apps below them: verdicts stored (monitoring) and validation reports finished."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from apps.alerts.models import Rule
from apps.experiments.models import Experiment
from apps.monitoring.signals import verdicts_recorded
from apps.plots.models import PlotGroup, PlotType
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


def _forget(sender, **kwargs):
    from apps.alerts.evaluate import forget_rules

    forget_rules()


# The evaluation keeps each experiment's rules and what they cover for a few seconds: a change drops them.
for _model in (Rule, PlotType, PlotGroup, Experiment):
    post_save.connect(_forget, sender=_model, dispatch_uid=f"alerts.forget.save.{_model.__name__}")
    post_delete.connect(_forget, sender=_model, dispatch_uid=f"alerts.forget.delete.{_model.__name__}")
for _through in (PlotGroup.plot_types.through, PlotGroup.parents.through):
    m2m_changed.connect(_forget, sender=_through, dispatch_uid=f"alerts.forget.m2m.{_through.__name__}")
