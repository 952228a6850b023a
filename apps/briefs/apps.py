from django.apps import AppConfig


class BriefsConfig(AppConfig):
    name = "apps.briefs"
    verbose_name = "Shift briefs"
