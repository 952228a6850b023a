from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "apps.operations"
    verbose_name = "Operations: trends, status page and metrics"

    def ready(self):
        from apps.operations import receivers  # noqa: F401  (connects the stage-timing keeper)
