from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    verbose_name = "Portal"

    def ready(self):
        # Registers the settings checks (hydra_portal/checks.py) and makes the folders the portal
        # writes to (SQLite's, media, static) once at start-up, not while settings.py is imported.
        from hydra_portal.checks import make_directories

        make_directories()
