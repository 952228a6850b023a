"""manage.py simulate_failures: a clearly marked, labeled set of simulated Bad plots for one plot type."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.plots.models import PlotType
from apps.validation.simulation import DEFAULT_CAMPAIGN, SimulationError, simulate
from ml.synthetic import FAILURE_MODES


class Command(BaseCommand):
    help = (
        "Break good histograms of a plot type with failure modes, draw them again and ingest them as Bad plots "
        f"(run 0, campaign of kind simulation). Modes: {', '.join(FAILURE_MODES)}."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plot-type", required=True, help="Plot type name.")
        parser.add_argument("--experiment", help="Experiment name (needed when several have the plot type).")
        parser.add_argument(
            "--modes", required=True, help="Comma-separated failure modes, e.g. dead_channels,hot_channels."
        )
        parser.add_argument("--count", type=int, default=10, help="Plots per mode (default 10).")
        parser.add_argument(
            "--campaign", default=DEFAULT_CAMPAIGN, help=f"Simulation campaign (default {DEFAULT_CAMPAIGN})."
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--user", help="Username the Bad labels are recorded under.")

    def handle(self, *args, plot_type, experiment, modes, count, campaign, seed, user, **options):
        types = PlotType.objects.filter(name=plot_type).select_related("experiment")
        if experiment:
            types = types.filter(experiment__name=experiment)
        found = list(types[:2])
        if not found:
            raise CommandError(f"no plot type {plot_type!r}" + (f" in {experiment}" if experiment else ""))
        if len(found) > 1:
            raise CommandError(f"several experiments have {plot_type!r}; name one with --experiment")
        who = None
        if user:
            who = get_user_model().objects.filter(username=user).first()
            if who is None:
                raise CommandError(f"no user {user!r}")
        try:
            result = simulate(
                found[0],
                [m.strip() for m in modes.split(",") if m.strip()],
                count,
                user=who,
                seed=seed,
                campaign=campaign,
            )
        except SimulationError as exc:
            raise CommandError(str(exc)) from None
        for line in result.skipped:
            self.stderr.write(f"skipped {line}")
        self.stdout.write(self.style.SUCCESS(result.summary()))
