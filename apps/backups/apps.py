from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "apps.backups"
    verbose_name = "Backup and restore"
