from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    verbose_name = "Portal"

    def ready(self):
        # The broker must exist before any module declares a Dramatiq actor.
        from hydra_portal.broker import setup_broker

        setup_broker()
