from django.apps import AppConfig


class PlotsConfig(AppConfig):
    name = "apps.plots"
    verbose_name = "Plot types, groups and plots"

    def ready(self):
        from apps.plots import counters, signals  # noqa: F401
