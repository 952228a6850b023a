from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "apps.monitoring"
    verbose_name = "Models, verdicts and live monitoring"

    def ready(self):
        from apps.monitoring import signals  # noqa: F401
