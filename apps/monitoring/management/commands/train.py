"""manage.py train --plot-type NAME [--arch compact] [--epochs N] [--wait]: train a model from the shell."""

import argparse

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.jobs.models import Job
from apps.monitoring.management.commands._wait import finish
from apps.monitoring.services import DEFAULT_ARCHITECTURE, request_training
from apps.plots.models import PlotType
from ml.architectures import ARCHITECTURES


class Command(BaseCommand):
    help = "Train a classifier for a plot type (skipped when the training data has not changed; --force)."

    def add_arguments(self, parser):
        parser.add_argument("--plot-type", required=True, action="append", help="Plot type name (repeatable).")
        parser.add_argument("--experiment", help="Experiment name or slug, when the plot type name is ambiguous.")
        parser.add_argument("--arch", default=DEFAULT_ARCHITECTURE, choices=sorted(ARCHITECTURES))
        parser.add_argument("--epochs", type=int)
        parser.add_argument("--batch-size", type=int)
        parser.add_argument("--optimizer", choices=["sgd", "adam"])
        parser.add_argument("--learning-rate", type=float)
        parser.add_argument("--balance", choices=["none", "undersample", "oversample", "class_weights"])
        parser.add_argument(
            "--shared", action="store_true", help="One model for all the plot types named (instead of one each)."
        )
        parser.add_argument("--patience", type=int)
        parser.add_argument("--lr-schedule", choices=["constant", "plateau", "cosine"])
        parser.add_argument(
            "--references",
            action=argparse.BooleanOptionalAction,
            help="Compare each plot with the mean good plot of its type (default: where the architecture can).",
        )
        parser.add_argument("--force", action="store_true", help="Train even when the data is unchanged.")
        parser.add_argument("--activate", action="store_true", help="Make the new model active when ready.")
        parser.add_argument("--wait", action="store_true", help="Wait for training to end.")

    def handle(self, *args, plot_type, experiment, arch, shared, force, activate, wait, **options):
        hp = {
            key: options[key]
            for key in ("epochs", "batch_size", "optimizer", "learning_rate", "balance", "patience", "lr_schedule")
            if options.get(key) is not None
        }
        if options.get("references") is not None:
            hp["references"] = options["references"]
        found = [self._plot_type(name, experiment) for name in plot_type]
        groups = [found] if shared else [[t] for t in found]
        jobs = []
        for types in groups:
            label = " + ".join(t.name for t in types)
            try:
                req = request_training(
                    types[0],
                    architecture=arch,
                    hyper_parameters=hp,
                    force=force,
                    activate=activate or None,
                    shared_with=types[1:],
                )
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            if req.skipped:
                self.stdout.write(f"{label}: training data unchanged since {req.unchanged}; skipped (use --force)")
            else:
                self.stdout.write(f"{label}: training {req.model} as job #{req.job.pk}")
                jobs.append(req.job)
        done = finish(jobs, wait, self.stdout.write)
        failed = [j for j in done if j.status == Job.Status.FAILED]
        for job in done:
            if job.status == Job.Status.DONE:
                self.stdout.write(self.style.SUCCESS(job.message))
        if failed:
            raise CommandError("; ".join(f"job #{j.pk}: {j.message}" for j in failed))

    def _plot_type(self, name, experiment) -> PlotType:
        types = PlotType.objects.filter(name=name)
        if experiment:
            types = types.filter(experiment__name=experiment) | types.filter(experiment__slug=experiment)
        found = list(types.select_related("experiment"))
        if not found:
            raise CommandError(f"no plot type called {name!r}")
        if len(found) > 1:
            raise CommandError(f"{name!r} exists in several experiments; add --experiment")
        return found[0]
