from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        from apps.accounts.ldap import connect_signals

        connect_signals()
