"""Training data: the labeled plots a model learns from, as ``ml.data.Example`` records, and their fingerprint.

Web processes fingerprint (``apps.monitoring.services``); workers train on the examples
(``apps.monitoring.training``) and evaluate on them (``apps.monitoring.gating``).
"""

from __future__ import annotations

from apps.core import files
from apps.labels.models import LabelClass
from apps.monitoring.models import ClassifierModel
from apps.plots.models import Plot, PlotType
from ml.data import Example, training_fingerprint


def excluded_classes(plot_type: PlotType) -> list[str]:
    """Names of the classes never trained on (like Ignore)."""
    return list(
        LabelClass.objects.filter(experiment_id=plot_type.experiment_id, excluded_from_training=True).values_list(
            "name", flat=True
        )
    )


def training_examples(plot_types) -> list[Example]:
    """Every labeled plot of ``plot_types`` (one or several) as ``ml.data.Example`` records.

    The key is the plot id and image hash, so a relabel, a new weight or a replaced image
    changes the fingerprint.
    """
    if isinstance(plot_types, PlotType):
        plot_types = [plot_types]
    # On object storage the path stays the stored name: the worker that trains fetches the files
    # (apps.monitoring.training), the web process that only fingerprints never does.
    root = files.local_root()
    rows = (
        Plot.objects.filter(plot_type__in=list(plot_types), label_class__isnull=False)
        .order_by("id")
        .values_list("id", "image", "sha256", "label_class__name", "run_number", "training_weight", "plot_type__name")
    )
    return [
        Example(
            path=str(root / image) if root else image,
            label=label,
            run=run,
            weight=weight,
            key=f"{pk}:{sha}",
            group=plot_type,
        )
        for pk, image, sha, label, run, weight, plot_type in rows
    ]


def data_fingerprint(plot_types, examples: list[Example] | None = None) -> str:
    """Fingerprint of what training on ``plot_types`` would see now."""
    if isinstance(plot_types, PlotType):
        plot_types = [plot_types]
    if examples is None:
        examples = training_examples(plot_types)
    return training_fingerprint(examples, excluded_classes(plot_types[0]))


def model_plot_types(model: ClassifierModel) -> list[PlotType]:
    return list(PlotType.objects.filter(pk__in=model.covered_type_ids()).order_by("name"))


def plot_id(example: Example) -> int:
    """The plot an example was made from (its key is ``"<plot id>:<image hash>"``)."""
    return int(str(example.key).split(":", 1)[0])
