"""manage.py scheduler: run the portal's periodic tasks (one process per installation)."""

import importlib
import signal

from django.core.management.base import BaseCommand, CommandError

from apps.jobs import scheduler


class Command(BaseCommand):
    help = (
        "Run the periodic tasks (alarm escalations and staleness, notification delivery, shift briefs, ...). "
        "Run one per installation; a second one started by mistake waits until the first stops renewing "
        "its lease, then takes over."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--list", dest="show", action="store_true", help="List the registered tasks and their last runs, then exit."
        )
        parser.add_argument("--once", action="store_true", help="Take the lease, run the due tasks once, then exit.")
        parser.add_argument("--only", action="append", metavar="NAME", help="Run only this task (repeatable).")
        parser.add_argument(
            "--import",
            dest="modules",
            action="append",
            metavar="MODULE",
            help="Import this module first (it registers further tasks; repeatable).",
        )
        parser.add_argument("--tick", type=float, default=None, help="Seconds between ticks (HYDRA_SCHEDULER_TICK).")

    def handle(self, *args, show, once, only, modules, tick, **options):
        if tick is not None and tick <= 0:
            raise CommandError("--tick must be above 0 seconds")
        for module in modules or []:
            try:
                importlib.import_module(module)
            except ImportError as exc:
                raise CommandError(f"cannot import {module}: {exc}") from exc
        known = {task.name for task in scheduler.tasks()}
        unknown = sorted(set(only or []) - known)
        if unknown:
            raise CommandError(f"no task named {', '.join(unknown)}; known: {', '.join(sorted(known)) or 'none'}")
        if show:
            self._list()
            return
        loop = scheduler.Scheduler(tick=tick, only=set(only) if only else None)
        if once:
            ran = loop.step()
            scheduler.release_lease(loop.owner)
            if not loop.holding:
                raise CommandError("another scheduler holds the lease; nothing ran")
            self.stdout.write(f"ran {len(ran)} task(s): {', '.join(ran) or 'none due'}")
            return
        names = ", ".join(f"{t.name} ({t.every:g} s)" for t in scheduler.tasks() if not only or t.name in only)
        self.stdout.write(f"scheduler {loop.owner}: {names or 'no tasks'} (Ctrl-C stops)")
        self.stdout.flush()
        signal.signal(signal.SIGTERM, lambda *_: loop.stopped.set())
        loop.start()
        try:
            while loop.is_alive():
                loop.join(timeout=1)
        except KeyboardInterrupt:
            loop.stop()

    def _list(self):
        from apps.jobs.models import ScheduledTask

        rows = {row.name: row for row in ScheduledTask.objects.all()}
        holder = scheduler.lease_holder()
        if holder:
            self.stdout.write(f"lease: {holder.owner or 'free'} until {holder.expires_at:%Y-%m-%d %H:%M:%S %Z}")
        for task in scheduler.tasks():
            row = rows.get(task.name)
            last = "never run"
            if row and row.last_started_at:
                last = f"last {row.last_started_at:%Y-%m-%d %H:%M:%S}, {row.runs} runs, {row.failures} failed"
                if row.last_error:
                    last += f", last error: {row.last_error.splitlines()[-1][:120]}"
            self.stdout.write(f"{task.name:30} every {task.every:>6g} s  {last}")
