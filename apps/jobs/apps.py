import atexit
import os
import sys
import threading

from django.apps import AppConfig
from django.utils import timezone

# Seconds after start-up before the relay starts in the serving process: the server is listening by then.
RELAY_START_DELAY = 2.0
# Commands that run jobs themselves, serve, or only look: the others hand their jobs to the server.
RUNS_JOBS = {"serve", "runserver", "rundramatiq", "relay", "scheduler", "test", "migrate", "makemigrations", "check"}


def _serving_process() -> bool:
    """True in the process that serves: ``manage.py serve``, or ``runserver`` (not its autoreloader's watcher)."""
    if len(sys.argv) < 2:
        return False
    if sys.argv[1] == "serve":
        return True
    if sys.argv[1] != "runserver":
        return False
    return os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv


def _short_lived_command() -> bool:
    """True in ``manage.py <command>`` (ingest, train, shell...), whose process ends when the command does."""
    program = os.path.basename(sys.argv[0]) if sys.argv else ""
    return program in ("manage.py", "django-admin") and len(sys.argv) > 1 and sys.argv[1] not in RUNS_JOBS


def _start_relay(process_started):
    import dramatiq
    from django.db import close_old_connections

    from apps.jobs.relay import recover_embedded, start_relay
    from hydra_portal.broker import InProcessBroker

    try:
        if isinstance(dramatiq.get_broker(), InProcessBroker):
            recover_embedded(process_started)
    finally:
        close_old_connections()
    start_relay()
    from apps.jobs import scheduler

    if scheduler.in_process():
        scheduler.start_scheduler()


def _tell_about_waiting_jobs():
    """At the end of a short-lived command on the embedded set-up: say which jobs wait for the server."""
    try:
        from apps.jobs.relay import queued_here

        waiting = queued_here()
    except Exception:  # the database may be gone by now; nothing useful to say then
        return
    if waiting:
        ids = ", ".join(f"#{pk}" for pk in waiting[:10]) + (" ..." if len(waiting) > 10 else "")
        sys.stderr.write(
            f"{len(waiting)} background job(s) ({ids}) wait for the portal: they start when `manage.py serve` "
            "runs (within seconds if it is serving now).\n"
        )


class JobsConfig(AppConfig):
    name = "apps.jobs"
    verbose_name = "Background jobs"

    def ready(self):
        import dramatiq

        from hydra_portal.broker import setup_broker

        # The broker must exist before any module declares a Dramatiq actor: apps.jobs comes right
        # after apps.core in INSTALLED_APPS, before every app that has actors.
        setup_broker()

        from apps.core.health import add_check
        from apps.jobs.health import workers

        add_check(workers)
        # The serving process relays the outbox: in the embedded set-up (make demo) it runs every job
        # queued by any process (seed_demo's first training, ingest's classifications) and settles
        # the jobs the last serving process left unfinished.
        if _serving_process():
            timer = threading.Timer(RELAY_START_DELAY, _start_relay, args=(timezone.now(),))
            timer.daemon = True
            timer.start()
        elif _short_lived_command():
            broker = dramatiq.get_broker()
            if hasattr(broker, "hand_off"):
                broker.hand_off = True
                atexit.register(_tell_about_waiting_jobs)
