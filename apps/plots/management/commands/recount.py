"""manage.py recount: rebuild the plots-per-plot-type counters the dashboard reads."""

import time

from django.core.management.base import BaseCommand, CommandError

from apps.experiments.models import Experiment
from apps.labels.counters import recount as recount_labels
from apps.labels.models import LabelClass
from apps.plots.counters import recount
from apps.plots.models import PlotType


class Command(BaseCommand):
    help = (
        "Count the plots of every plot type (or of one experiment), and their labels, again and repair the "
        "counters the dashboard shows; safe while ingest and labeling run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--experiment", help="only this experiment (name or slug)")

    def handle(self, *args, **options):
        types = PlotType.objects.all()
        if options["experiment"]:
            wanted = options["experiment"]
            experiment = (
                Experiment.objects.filter(slug=wanted).first() or Experiment.objects.filter(name=wanted).first()
            )
            if experiment is None:
                raise CommandError(f"no experiment {wanted!r}")
            types = types.filter(experiment=experiment)
        started = time.perf_counter()
        changed = recount(types)
        each = options["verbosity"] >= 1
        for plot_type, before, after in changed if each else ():
            self.stdout.write(f"{plot_type.experiment.name} / {plot_type.name}: {before} -> {after}")
        labels = recount_labels(types)
        names = dict(LabelClass.objects.filter(pk__in={c for _, c, _, _ in labels}).values_list("pk", "name"))
        for plot_type, class_id, before, after in labels if each else ():
            self.stdout.write(
                f"{plot_type.experiment.name} / {plot_type.name} labeled {names[class_id]}: {before} -> {after}"
            )
        self.stdout.write(
            f"{types.count()} plot types counted in {time.perf_counter() - started:.1f} s; "
            f"{len(changed) + len(labels)} counter(s) repaired"
        )
