"""manage.py launch: monitoring plots straight from ROOT files, drawn ROOT-style and ingested."""

from django.core.management.base import BaseCommand, CommandError

from apps.experiments.models import Experiment
from apps.validation.launching import launch
from ml.root_histograms import ConfigError, load_config


class Command(BaseCommand):
    help = (
        "Read the histograms named in a YAML config from ROOT files (uproot), draw each as a ROOT-style PNG and "
        "ingest it as a plot of its configured plot type for one run and campaign."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="ROOT files.")
        parser.add_argument("--experiment", required=True)
        parser.add_argument("--campaign", required=True)
        parser.add_argument("--run", type=int, required=True)
        parser.add_argument(
            "--config", required=True, help="histograms.yaml: histogram paths → plot types, draw options."
        )
        parser.add_argument("--run-period", help="Run period for a new run (default: the config's, else 'default').")
        parser.add_argument("--create-experiment", action="store_true", help="Create the experiment if it is new.")

    def handle(self, *args, files, experiment, campaign, run, config, run_period, create_experiment, **options):
        exp = Experiment.objects.filter(name=experiment).first()
        if exp is None:
            if not create_experiment:
                raise CommandError(f"no experiment {experiment!r} (add --create-experiment to make it)")
            exp = Experiment.objects.create(name=experiment)  # with the default label classes
        try:
            cfg = load_config(config)
        except (ConfigError, OSError) as exc:
            raise CommandError(f"{config}: {exc}") from None
        result = launch(files, exp, campaign=campaign, run=run, config=cfg, run_period=run_period)
        for problem in result.problems:
            self.stderr.write(f"skipped {problem}")
        for outcome in result.report.rejected:
            self.stderr.write(f"rejected {outcome.name}: {outcome.reason}")
        if not result.report.outcomes and result.problems:
            raise CommandError("no histogram could be read")
        self.stdout.write(self.style.SUCCESS(result.report.summary()))
