# ClassifierModel.file is now ClassifierModel.path, the name every other model-file column uses
# (TrainedModel.path, EmbeddingSpace.encoder_path). A rename keeps every stored value.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0005_classification_period_index"),
    ]

    operations = [
        migrations.RenameField(model_name="classifiermodel", old_name="file", new_name="path"),
        migrations.AlterField(
            model_name="classifiermodel",
            name="path",
            field=models.CharField(
                blank=True, help_text="Model file (.keras, with a .json sidecar) under MEDIA_ROOT.", max_length=300
            ),
        ),
    ]
