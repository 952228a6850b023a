from django.apps import AppConfig


class ValidationConfig(AppConfig):
    name = "apps.validation"
    verbose_name = "Validation without labels"

    def ready(self):
        from apps.validation import signals  # noqa: F401
