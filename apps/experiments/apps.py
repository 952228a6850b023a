from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "apps.experiments"
    verbose_name = "Experiments and runs"

    def ready(self):
        from django.conf import settings

        from apps.jobs import scheduler

        seconds = getattr(settings, "RCDB_SYNC_SECONDS", 0)
        if seconds:
            # Every HYDRA_RCDB_SYNC_SECONDS: a sync_conditions job per experiment that names RCDB conditions.
            scheduler.register("experiments.sync_conditions", seconds, _periodic_sync)


def _periodic_sync():
    from apps.experiments.tasks import queue_due

    return queue_due()
