"""manage.py rundramatiq: start Dramatiq worker processes for this portal."""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run Dramatiq workers (needs HYDRA_BROKER_URL or HYDRA_REDIS_URL: redis:// or amqp://)."

    def add_arguments(self, parser):
        parser.add_argument("--processes", "-p", type=int, default=os.cpu_count() or 1)
        parser.add_argument("--threads", "-t", type=int, default=1, help="Threads per process (1 suits GPU work).")
        parser.add_argument("--queues", "-Q", nargs="*", help="Only these queues.")
        parser.add_argument(
            "--shutdown-timeout",
            type=float,
            default=None,
            help="Seconds a stopped worker (SIGTERM) lets its running jobs finish before it queues them "
            "again (default: HYDRA_WORKER_SHUTDOWN_TIMEOUT, 600).",
        )

    def handle(self, *args, processes, threads, queues, shutdown_timeout, **options):
        if not settings.BROKER_URL:
            raise CommandError(
                "no broker configured: set HYDRA_BROKER_URL (redis://... or amqp://...). "
                "Without one, the web process runs tasks itself."
            )
        argv = ["dramatiq", "hydra_portal.worker", "--processes", str(processes), "--threads", str(threads)]
        if queues:
            argv += ["--queues", *queues]
        seconds = settings.WORKER_SHUTDOWN_TIMEOUT if shutdown_timeout is None else shutdown_timeout
        argv += ["--worker-shutdown-timeout", str(int(seconds * 1000))]
        self.stdout.write(f"starting: {' '.join(argv)}")
        executable = os.path.join(os.path.dirname(sys.executable), "dramatiq")
        os.execv(executable, argv)
