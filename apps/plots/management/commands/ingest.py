"""manage.py ingest PATH --experiment NAME: bring a directory tree of plots in (and keep watching)."""

import os
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from apps.core.outage import close_broken_connections, describe, is_outage
from apps.experiments.models import Experiment
from apps.plots.ingest import Ingestor, crawl, locate
from apps.plots.layout import HYDRA_LAYOUT, LayoutError, compile_layout

# A file younger than this may still be being written by the producer: pick it up next poll.
SETTLE_SECONDS = 2.0
# The longest pause between two looks for a database that went away (--watch).
MAX_WAIT_SECONDS = 60.0


def _settling(item) -> bool:
    path = getattr(item, "path", None)
    try:
        return path is not None and time.time() - os.path.getmtime(path) < SETTLE_SECONDS
    except OSError:
        return False


class Command(BaseCommand):
    help = (
        "Ingest monitoring plots from a directory tree laid out like "
        "RunPeriod-2021-08/Run080464/RF_TOF_selftiming-02_0037.png, or any layout given by --pattern."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Directory to crawl (or a single image file).")
        parser.add_argument("--experiment", required=True, help="Experiment name or slug.")
        parser.add_argument("--campaign", default="online", help="Campaign when the path does not name one.")
        parser.add_argument(
            "--pattern",
            help="Regex with named groups run, plot_type and optionally run_period, chunk, campaign, "
            f"matched against the path relative to PATH. Default: {HYDRA_LAYOUT}",
        )
        parser.add_argument("--run-period", default="default", help="Run period when the path does not name one.")
        parser.add_argument(
            "--no-create",
            action="store_true",
            help="Reject plots of unknown experiments, runs, plot types, campaigns.",
        )
        parser.add_argument("--watch", action="store_true", help="Keep polling PATH for new files (the feeder).")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between polls with --watch.")
        parser.add_argument("--workers", type=int, default=None, help="Thumbnail processes (default: CPU count).")

    def handle(
        self,
        *args,
        path,
        experiment,
        campaign,
        pattern,
        run_period,
        no_create,
        watch,
        interval,
        workers,
        **kw,
    ):
        if not os.path.exists(path):
            raise CommandError(f"{path} does not exist")
        try:
            regex = compile_layout(pattern)
        except LayoutError as exc:
            raise CommandError(f"--pattern: {exc}") from None
        while True:
            try:
                exp = self._experiment(experiment, no_create)
                break
            except DatabaseError as exc:
                if not (watch and is_outage(exc)):
                    raise CommandError(f"nothing ingested: {describe(exc)}") from None
                self._wait_for_database(exc)

        # A single file is matched on the tail of its own path, so the layout's folders above it still count.
        single = os.path.isfile(path)
        seen: set[str] = set()
        with Ingestor(exp, campaign=campaign, create=not no_create, workers=workers) as ingestor:
            while True:
                found = [locate(path, regex, run_period)] if single else crawl(path, regex, run_period)
                items = [i for i in found if i.name not in seen and not (watch and _settling(i))]
                if items or not watch:
                    report = ingestor.ingest(items, stop_on_outage=True)
                    for outcome in report.rejected:
                        self.stderr.write(f"rejected {outcome.name}: {outcome.reason}")
                    # Files left out by an outage are not "seen": the next poll tries them again.
                    seen.update(o.name for o in report.outcomes)
                    self.stdout.write(report.summary())
                    if report.interrupted:
                        if not watch:
                            raise CommandError(
                                f"{len(report.unfinished)} files not ingested, the database is unavailable; "
                                "run the same command again when it is back"
                            )
                        self._wait_for_database(report.error)
                        continue
                if not watch:
                    return
                time.sleep(interval)

    def _experiment(self, name: str, no_create: bool) -> Experiment:
        exp = Experiment.objects.filter(slug=name).first() or Experiment.objects.filter(name=name).first()
        if exp is None:
            if no_create:
                raise CommandError(f"unknown experiment {name!r}")
            exp = Experiment.objects.create(name=name)  # with the default label classes
            self.stdout.write(f"created experiment {exp.name}")
        return exp

    def _wait_for_database(self, error) -> None:
        """Poll the database with a growing pause (1 s doubling up to a minute), a line for each try."""
        pause = 1.0
        while True:
            reason = error if isinstance(error, str) else describe(error)
            self.stderr.write(f"waiting for the database: {reason}; next try in {pause:.0f} s")
            time.sleep(pause)
            close_broken_connections()
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
            except DatabaseError as exc:
                if not is_outage(exc):
                    raise
                error, pause = exc, min(pause * 2, MAX_WAIT_SECONDS)
                continue
            self.stderr.write("the database is back: resuming")
            return
