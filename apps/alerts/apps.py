from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "apps.alerts"
    verbose_name = "Alarms: rules, lifecycle and routing"
