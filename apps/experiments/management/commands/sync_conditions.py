"""manage.py sync_conditions --experiment NAME: copy run conditions from the RCDB into the portal's runs."""

from django.core.management.base import BaseCommand, CommandError

from apps.experiments.models import Experiment
from apps.experiments.production import reindex
from apps.experiments.rcdb_sync import SyncError, parse_run_range, sync


class Command(BaseCommand):
    help = (
        "Copy the experiment's configured RCDB conditions (is_production, beam_current, ...) into each of its "
        "runs the portal knows (runs are not created). Idempotent: unchanged runs are not written. "
        "Run it from cron, or let the scheduler's sync_conditions job do it. "
        "--reindex rebuilds the searchable condition rows from the runs alone (no RCDB)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--experiment", required=True, help="Experiment name or slug.")
        parser.add_argument("--url", help="RCDB connection string (default: the experiment's, else HYDRA_RCDB_URL).")
        parser.add_argument("--runs", help="Run range A-B (also A-, -B or one run); default: every run.")
        parser.add_argument("--conditions", help="Comma-separated condition names (default: the experiment's).")
        parser.add_argument(
            "--reindex", action="store_true", help="Only rebuild the condition index from Run.conditions."
        )

    def handle(self, *args, experiment, url, runs, conditions, reindex, **kw):
        exp = Experiment.objects.filter(slug=experiment).first() or Experiment.objects.filter(name=experiment).first()
        if exp is None:
            raise CommandError(f"unknown experiment {experiment!r}")
        if reindex:
            rows = reindex_experiment(exp)
            self.stdout.write(f"{exp.name}: {rows} condition rows indexed")
            return
        try:
            run_min, run_max = parse_run_range(runs)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        names = [n for n in (conditions or "").split(",") if n.strip()] or None
        try:
            result = sync(exp, url=url, names=names, run_min=run_min, run_max=run_max)
        except SyncError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(result.summary())


def reindex_experiment(exp):
    return reindex(exp)
