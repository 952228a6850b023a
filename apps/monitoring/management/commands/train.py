"""manage.py train --plot-type NAME [--arch compact] [--epochs N] [--wait]: train a model from the shell.

By default one shared model over every plot type of the experiment; ``--shared`` limits it to the plot
types named, ``--per-type`` trains one model per plot type named.
"""

import argparse

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.jobs.models import Job
from apps.monitoring import scope as model_scope
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
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument(
            "--shared",
            action="store_true",
            help="One model for the plot types named only (default: one for every plot type of the experiment).",
        )
        scope.add_argument(
            "--per-type", action="store_true", help="One model per plot type named, each learning from its own plots."
        )
        parser.add_argument("--patience", type=int)
        parser.add_argument("--lr-schedule", choices=["constant", "plateau", "cosine"])
        parser.add_argument(
            "--references",
            action=argparse.BooleanOptionalAction,
            help="Compare each plot with the mean good plot of its type (default: where the architecture can).",
        )
        parser.add_argument("--force", action="store_true", help="Train even when the data is unchanged.")
        parser.add_argument(
            "--keep-inactive",
            action="store_true",
            help="Do not activate when ready (by default: active where it does no worse than the active one).",
        )
        parser.add_argument("--wait", action="store_true", help="Wait for training to end.")

    def handle(self, *args, plot_type, experiment, arch, shared, per_type, force, keep_inactive, wait, **options):
        hp = {
            key: options[key]
            for key in ("epochs", "batch_size", "optimizer", "learning_rate", "balance", "patience", "lr_schedule")
            if options.get(key) is not None
        }
        if options.get("references") is not None:
            hp["references"] = options["references"]
        found = [self._plot_type(name, experiment) for name in plot_type]
        if per_type:
            groups = [[t] for t in found]
        elif shared:
            groups = [found]
        else:
            if len({t.experiment_id for t in found}) > 1:
                raise CommandError("the plot types named belong to several experiments; name one, or use --per-type")
            try:
                groups = [[found[0], *model_scope.shared_with(found[0])]]
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
        jobs = []
        for types in groups:
            label = " + ".join(t.name for t in types[:4]) + (f" + {len(types) - 4} more" if len(types) > 4 else "")
            try:
                req = request_training(
                    types[0],
                    architecture=arch,
                    hyper_parameters=hp,
                    force=force,
                    activate=False if keep_inactive else None,
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
