from django.apps import AppConfig
from django.conf import settings


def deliver():
    from apps.notifications.services import deliver_due

    return deliver_due()


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    verbose_name = "Notifications: delivery outbox to e-mail, webhooks, EPICS and the logbook"

    def ready(self):
        from apps.jobs import scheduler

        # The retry path: deliveries not sent right after their commit (target down, process gone).
        scheduler.register("notifications.deliver", settings.NOTIFY_INTERVAL, deliver)
