import logging

from django.apps import AppConfig

log = logging.getLogger(__name__)

# Each minute the scheduler writes the drafts of shifts that just ended and sends overdue ones.
EVERY_SECONDS = 60


class BriefsConfig(AppConfig):
    name = "apps.briefs"
    verbose_name = "Shift briefs"

    def ready(self):
        try:
            from apps.jobs import scheduler
        except ImportError:
            return
        register = getattr(scheduler, "register", None)
        if register is None:
            log.warning("the scheduler has no register(): shift briefs are written only on demand")
            return
        register("briefs", _periodic, every=EVERY_SECONDS)


def _periodic():
    from apps.briefs.services import write_due

    return write_due()
