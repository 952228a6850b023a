from django.apps import AppConfig


class LabelsConfig(AppConfig):
    name = "apps.labels"
    verbose_name = "Label classes and labels"

    def ready(self):
        from django.db.models.signals import post_save

        from apps.labels import (
            counters,  # noqa: F401  (keeps the label counters on plot deletes)
            signals,  # noqa: F401  (audit entries for grants and deleted labels)
        )
        from apps.labels.defaults import give_new_experiments_default_classes

        post_save.connect(
            give_new_experiments_default_classes,
            sender="experiments.Experiment",
            dispatch_uid="labels.default_classes_for_new_experiments",
        )
