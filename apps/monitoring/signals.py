"""Queue classification of newly ingested plots whose plot type has an active model."""

from django.dispatch import receiver

from apps.plots.signals import plots_ingested


@receiver(plots_ingested, dispatch_uid="monitoring.classify_new_plots")
def classify_new_plots(sender, plots, **kwargs):
    from apps.monitoring.services import queue_classification

    queue_classification(plots)
