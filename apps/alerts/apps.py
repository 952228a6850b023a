from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "apps.alerts"
    verbose_name = "Alarms: rules, lifecycle and routing"

    def ready(self):
        from apps.alerts import signals  # noqa: F401
        from apps.alerts.tasks import register_periodic

        register_periodic()
