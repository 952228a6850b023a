from apps.labels.choices import DEFAULT_CLASSES
from apps.labels.models import LabelClass


def ensure_default_classes(experiment) -> list[LabelClass]:
    """Give an experiment the default classes (Good, Bad, NoData) it does not have yet."""
    classes = []
    for order, (name, colour, hotkey, meaning, excluded) in enumerate(DEFAULT_CLASSES):
        cls, _ = LabelClass.objects.get_or_create(
            experiment=experiment,
            name=name,
            defaults={
                "colour": colour,
                "hotkey": hotkey,
                "meaning": meaning,
                "excluded_from_training": excluded,
                "order": order,
            },
        )
        classes.append(cls)
    return classes


def give_new_experiments_default_classes(sender, instance, created, raw=False, **kwargs) -> None:
    """post_save receiver: every way of creating an experiment (API, admin, ingest, launch) gets the classes."""
    if created and not raw:
        ensure_default_classes(instance)
