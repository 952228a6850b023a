import os
import sys
import threading

from django.apps import AppConfig

# Seconds after start-up before held-back jobs are sent: the server is listening by then.
DEFERRED_START_DELAY = 2.0


def _serving_process() -> bool:
    """True in the process that serves: ``manage.py serve``, or ``runserver`` (not its autoreloader's watcher)."""
    if len(sys.argv) < 2:
        return False
    if sys.argv[1] == "serve":
        return True
    if sys.argv[1] != "runserver":
        return False
    return os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv


def _start_jobs():
    import dramatiq
    from django.db import close_old_connections

    from apps.jobs.runner import fail_interrupted, send_deferred
    from hydra_portal.broker import InProcessBroker

    try:
        if isinstance(dramatiq.get_broker(), InProcessBroker):
            fail_interrupted()
        send_deferred()
    finally:
        close_old_connections()


class JobsConfig(AppConfig):
    name = "apps.jobs"
    verbose_name = "Background jobs"

    def ready(self):
        # The embedded set-up (make demo) runs jobs in the serving process: jobs a command queued
        # for it (seed_demo's first training) start once it serves, and jobs the last serving
        # process left unfinished are marked failed.
        if _serving_process():
            timer = threading.Timer(DEFERRED_START_DELAY, _start_jobs)
            timer.daemon = True
            timer.start()
