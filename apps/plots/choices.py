from django.db import models


class GroupKind(models.TextChoices):
    DETECTOR = "detector", "Detector"
    WORKING_GROUP = "working_group", "Working group"
    CAMPAIGN = "campaign", "Campaign"
    OTHER = "other", "Other"


class FileType(models.TextChoices):
    PNG = "png", "PNG"
    JPEG = "jpeg", "JPEG"
    GIF = "gif", "GIF"
    WEBP = "webp", "WebP"


# Pillow format names accepted for each declared file type.
PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP"}


class Split(models.TextChoices):
    TRAIN = "train", "Training (weight ≥ 1)"
    TEST = "test", "Test only (weight 0)"
