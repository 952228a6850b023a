"""Queue classification of newly ingested plots whose plot type has an active model; fail the
models whose training job was interrupted, and queue again those whose training job is retried."""

from django.dispatch import Signal, receiver

from apps.jobs.runner import jobs_interrupted, jobs_requeued
from apps.plots.signals import plots_ingested

# Sent after a batch of verdicts is stored (outside its transaction), with ``classification_ids``.
# Apps above monitoring (alarms) listen; monitoring never imports them.
verdicts_recorded = Signal()


@receiver(plots_ingested, dispatch_uid="monitoring.classify_new_plots")
def classify_new_plots(sender, plots, **kwargs):
    from apps.monitoring.services import queue_classification

    queue_classification(plots)


@receiver(jobs_interrupted, dispatch_uid="monitoring.fail_interrupted_models")
def fail_interrupted_models(sender, jobs, **kwargs):
    from apps.monitoring.models import ClassifierModel

    models = ClassifierModel.objects.filter(
        job__in=jobs, status__in=[ClassifierModel.Status.QUEUED, ClassifierModel.Status.TRAINING]
    )
    for model in models.only("pk", "plot_type_id"):
        model.remove_checkpoint()  # a failed model is never trained further
    models.update(status=ClassifierModel.Status.FAILED, error="training was interrupted when the portal stopped")


@receiver(jobs_requeued, dispatch_uid="monitoring.requeue_interrupted_models")
def requeue_interrupted_models(sender, jobs, **kwargs):
    from apps.monitoring.models import ClassifierModel

    # Its worker died mid-training: the next attempt continues after the last epoch it saved.
    ClassifierModel.objects.filter(job__in=jobs, status=ClassifierModel.Status.TRAINING).update(
        status=ClassifierModel.Status.QUEUED, error=""
    )
