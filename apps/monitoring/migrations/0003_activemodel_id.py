"""ActiveModel gets its own id (plot_type stays unique): rebuild the table, keeping its rows."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_rows(apps, schema_editor):
    Old = apps.get_model("monitoring", "OldActiveModel")
    New = apps.get_model("monitoring", "ActiveModel")
    New.objects.bulk_create(
        New(plot_type_id=o.plot_type_id, model_id=o.model_id, activated_by_id=o.activated_by_id) for o in Old.objects.all()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0002_role_permissions"),
        ("plots", "0002_plot_verdict"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("ActiveModel", "OldActiveModel"),
        migrations.AlterField(
            model_name="oldactivemodel",
            name="plot_type",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                primary_key=True,
                related_name="+",
                serialize=False,
                to="plots.plottype",
            ),
        ),
        migrations.CreateModel(
            name="ActiveModel",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("activated_at", models.DateTimeField(auto_now=True)),
                (
                    "activated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "model",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="monitoring.classifiermodel"
                    ),
                ),
                (
                    "plot_type",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="active_model", to="plots.plottype"
                    ),
                ),
            ],
        ),
        migrations.RunPython(copy_rows, migrations.RunPython.noop),
        migrations.DeleteModel("OldActiveModel"),
    ]
