from django.apps import AppConfig


class WikiConfig(AppConfig):
    name = "apps.wiki"
    verbose_name = "Plot-type documentation and Q&A"
