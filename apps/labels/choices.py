from django.db import models


class Meaning(models.TextChoices):
    GOOD = "good", "Good"
    BAD = "bad", "Bad"
    NO_DATA = "nodata", "No data"
    OTHER = "other", "Other"


# (name, colour, hotkey, meaning, excluded from training): every new experiment starts with these.
DEFAULT_CLASSES = [
    ("Good", "#2e9e4f", "g", Meaning.GOOD, False),
    ("Bad", "#d62828", "b", Meaning.BAD, False),
    ("NoData", "#8d99ae", "n", Meaning.NO_DATA, False),
]
# Red belongs to Bad: no other class may take it.
BAD_COLOUR = "#d62828"
