"""Give the Admin role the permissions of API tokens (the model is newer than the roles)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from apps.accounts.roles import ADMIN


def grant(apps, schema_editor):
    app_config = apps.get_app_config("accounts")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin, _ = Group.objects.get_or_create(name=ADMIN)
    admin.permissions.add(*Permission.objects.filter(content_type__app_label="accounts", codename__endswith="apitoken"))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="accounts", codename__endswith="apitoken")
    for group in Group.objects.filter(name=ADMIN):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_apitoken")]

    operations = [migrations.RunPython(grant, revoke)]
