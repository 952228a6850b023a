"""New plots arrive: recompute the reports that compare their campaign, place them on maps, score them."""

from django.db.models import Q
from django.dispatch import receiver

from apps.plots.signals import plots_ingested


@receiver(plots_ingested)
def validate_new_plots(sender, plots, experiment, **kwargs):
    from apps.validation import tasks
    from apps.validation.models import AutoencoderModel, EmbeddingSpace, ValidationReport

    campaigns = {p.campaign_id for p in plots}
    for report in ValidationReport.objects.filter(auto_update=True).filter(
        Q(campaign_id__in=campaigns) | Q(reference_id__in=campaigns)
    ):
        tasks.start_report(report)
    types = {p.plot_type_id for p in plots}
    # One round trip for both kinds of model: this runs on every upload.
    spaces = EmbeddingSpace.objects.filter(plot_type_id__in=types).order_by().values_list("plot_type_id", flat=True)
    autoencoders = AutoencoderModel.objects.filter(plot_type_id__in=types, is_active=True).order_by()
    modelled = set(spaces.union(autoencoders.values_list("plot_type_id", flat=True)))
    if modelled:
        # The job looks up what is missing when it runs, so one waiting job serves every batch.
        waiting = tasks.queued(tasks.KINDS[tasks.process_new_plots])
        if waiting is None or not set(modelled) <= set(waiting.params.get("plot_types", [])):
            tasks.start(
                tasks.process_new_plots,
                title="Place new plots on maps and score them",
                plot_types=sorted(modelled),
            )
