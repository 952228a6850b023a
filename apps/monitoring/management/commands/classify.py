"""manage.py classify [--plot-type NAME] [--all]: classify plots with the active models."""

from django.core.management.base import BaseCommand, CommandError

from apps.jobs.models import Job
from apps.jobs.runner import enqueue
from apps.monitoring.management.commands._wait import finish
from apps.monitoring.models import ActiveModel
from apps.monitoring.tasks import classify_plots
from apps.plots.models import Plot

CHUNK = 2000


class Command(BaseCommand):
    help = "Classify plots that have no verdict yet (or --all) with their plot type's active model."

    def add_arguments(self, parser):
        parser.add_argument("--plot-type", action="append", help="Only this plot type (repeatable).")
        parser.add_argument("--all", action="store_true", help="Classify again plots that already have a verdict.")
        parser.add_argument("--wait", action="store_true")

    def handle(self, *args, plot_type, all, wait, **options):
        active = ActiveModel.objects.select_related("plot_type")
        if plot_type:
            active = active.filter(plot_type__name__in=plot_type)
        active = list(active)
        if not active:
            raise CommandError("no active model for " + (", ".join(plot_type) if plot_type else "any plot type"))
        jobs = []
        for entry in active:
            plots = Plot.objects.filter(plot_type_id=entry.plot_type_id)
            if not all:
                plots = plots.filter(classified_at__isnull=True)
            ids = list(plots.order_by("id").values_list("id", flat=True))
            self.stdout.write(f"{entry.plot_type.name}: {len(ids)} plots with {entry.model}")
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                jobs.append(
                    enqueue(
                        classify_plots,
                        kind="classify",
                        title=f"Classify {len(chunk)} {entry.plot_type.name} plots",
                        plot_ids=chunk,
                    )
                )
        done = finish(jobs, wait, self.stdout.write)
        failed = [j for j in done if j.status == Job.Status.FAILED]
        if failed:
            raise CommandError("; ".join(f"job #{j.pk}: {j.message}" for j in failed))
