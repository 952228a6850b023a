from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    verbose_name = "Notifications: delivery outbox to e-mail, webhooks, EPICS and the logbook"
