"""Give the roles their alarm permissions and add the "Shift crew" role (acknowledge and silence)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from apps.alerts.permissions import ROLE_PERMISSIONS, SHIFT_CREW, grant_role_permissions


def grant(apps, schema_editor):
    app_config = apps.get_app_config("alerts")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None
    grant_role_permissions(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="alerts")
    for group in Group.objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.remove(*perms)
    Group.objects.filter(name=SHIFT_CREW, user__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
        ("accounts", "0001_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
