"""Keep plot-group nesting acyclic whichever side of the relation is edited."""

from django.db.models.signals import m2m_changed
from django.dispatch import Signal, receiver

from apps.plots.models import PlotGroup


@receiver(m2m_changed, sender=PlotGroup.parents.through)
def reject_group_cycles(sender, instance, action, reverse, pk_set, **kwargs):
    if action != "pre_add" or not pk_set:
        return
    if not reverse:
        # instance.parents.add(*pk_set): none of the new parents may sit below instance.
        instance.check_parents(pk_set)
    else:
        # instance.children.add(*pk_set): instance becomes a parent of each child.
        for child in PlotGroup.objects.filter(pk__in=pk_set):
            child.check_parents({instance.pk})


# Sent when new plots are stored (ingest, upload): plots=list[Plot], experiment=Experiment.
# Other apps (classification, validation) subscribe here instead of calling ingest code. It is sent
# inside the transaction that inserts the plots: what a receiver writes (a queued job, its outbox
# message) commits with them, and a receiver that raises leaves neither plots nor their files.
plots_ingested = Signal()
