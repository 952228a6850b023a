import os
import sys
import threading

from django.apps import AppConfig

# Seconds after start-up before held-back jobs are sent: the server is listening by then.
DEFERRED_START_DELAY = 2.0


def _serving_process() -> bool:
    """True in the process of ``manage.py runserver`` that serves (not the autoreloader's watcher)."""
    if len(sys.argv) < 2 or sys.argv[1] != "runserver":
        return False
    return os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv


def _send_deferred():
    from django.db import close_old_connections

    from apps.jobs.runner import send_deferred

    try:
        send_deferred()
    finally:
        close_old_connections()


class JobsConfig(AppConfig):
    name = "apps.jobs"
    verbose_name = "Background jobs"

    def ready(self):
        # The embedded set-up (make demo) runs jobs in the serving process: jobs a command queued
        # for it (seed_demo's first training) start once it serves.
        if _serving_process():
            timer = threading.Timer(DEFERRED_START_DELAY, _send_deferred)
            timer.daemon = True
            timer.start()
