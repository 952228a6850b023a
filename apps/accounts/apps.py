from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        from django.db.models.signals import post_migrate

        from apps.accounts import checks  # noqa: F401  (registers the directory settings checks)
        from apps.accounts.ldap import connect_signals
        from apps.accounts.roles import sync_admin_role
        from apps.accounts.throttle import connect_signals as connect_throttle

        connect_signals()
        connect_throttle()
        # Permissions of new models appear after migrations; Admin must hold them too.
        post_migrate.connect(sync_admin_role, dispatch_uid="hydra-sync-admin-role")
