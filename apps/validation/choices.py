from django.db import models


class Verdict(models.TextChoices):
    PASS = "pass", "Pass"
    WARN = "warn", "Warn"
    FAIL = "fail", "Fail"
    NON_COMPARABLE = "non_comparable", "Non-comparable"


class EmbeddingMethod(models.TextChoices):
    AUTOENCODER = "autoencoder", "Autoencoder bottleneck"
    PIXELS = "pixels", "Pixel principal components"
    CLASSIFIER = "classifier", "Active classifier's penultimate layer"


class ReportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Computing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ThresholdSource(models.TextChoices):
    INITIAL = "initial", "Initial (default)"
    USER = "user", "Set by a user"


# Colours of verdicts on pages and maps; red is for fail, as it is for Bad labels.
VERDICT_COLOURS = {
    Verdict.PASS: "#2e9e4f",
    Verdict.WARN: "#e8a200",
    Verdict.FAIL: "#d62828",
    Verdict.NON_COMPARABLE: "#868e96",
}
