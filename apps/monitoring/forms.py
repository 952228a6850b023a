from django import forms

from apps.monitoring import scope
from apps.monitoring.models import ClassifierModel
from apps.plots.models import PlotType
from ml.architectures import ARCHITECTURES
from ml.data import BALANCING


class TrainForm(forms.Form):
    """Architecture and hyper-parameters of a training run; empty fields take the defaults."""

    architecture = forms.ChoiceField(choices=[(name, name) for name in ARCHITECTURES], initial="compact")
    epochs = forms.IntegerField(min_value=1, max_value=1000, required=False, initial=40)
    batch_size = forms.IntegerField(min_value=1, max_value=1024, required=False, initial=16)
    optimizer = forms.ChoiceField(choices=[("adam", "Adam"), ("sgd", "SGD (momentum 0.2, Nesterov)")], initial="adam")
    learning_rate = forms.FloatField(min_value=1e-6, max_value=1.0, required=False)
    balance = forms.ChoiceField(choices=[(b, b.replace("_", " ")) for b in BALANCING], initial="class_weights")
    patience = forms.IntegerField(min_value=1, max_value=100, required=False, initial=8)
    lr_schedule = forms.ChoiceField(
        choices=[("plateau", "halve on a plateau"), ("constant", "constant"), ("cosine", "cosine decay")],
        initial="plateau",
        required=False,
        label="Learning-rate schedule",
    )
    references = forms.TypedChoiceField(
        choices=[("", "where the architecture can"), ("yes", "yes"), ("no", "no")],
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
        required=False,
        label="Compare with reference plots",
        help_text="Show the network each plot next to the mean good plot of its type.",
    )
    scope = forms.ChoiceField(
        choices=scope.CHOICES,
        initial=scope.DEFAULT_SCOPE,
        label="Model for",
        help_text="A shared model sees more examples of each failure; a per-type model is the explicit choice.",
    )
    shared_with = forms.ModelMultipleChoiceField(
        queryset=PlotType.objects.none(),
        required=False,
        label="Only these plot types",
        help_text="With a shared model: learn from these plot types only, not every plot type of the experiment.",
    )
    parent = forms.ModelChoiceField(queryset=ClassifierModel.objects.none(), required=False, label="Fine-tune from")
    force = forms.BooleanField(required=False, help_text="Train even when the labels have not changed.")
    keep_inactive = forms.BooleanField(
        required=False,
        help_text=(
            "Keep it inactive when ready (otherwise it becomes the active model wherever it does no worse "
            "than the active one on the same test runs)."
        ),
    )

    def __init__(self, *args, plot_type, **kwargs):
        super().__init__(*args, **kwargs)
        self.plot_type = plot_type
        self.fields["parent"].queryset = ClassifierModel.objects.filter(
            plot_type=plot_type, status=ClassifierModel.Status.READY
        ).order_by("-version")
        self.fields["shared_with"].queryset = (
            PlotType.objects.filter(experiment_id=plot_type.experiment_id, ignored=False)
            .exclude(pk=plot_type.pk)
            .order_by("name")
        )

    def request_kwargs(self) -> dict:
        data = self.cleaned_data
        keys = (
            "epochs",
            "batch_size",
            "optimizer",
            "learning_rate",
            "balance",
            "patience",
            "lr_schedule",
            "references",
        )
        hp = {k: data[k] for k in keys}
        if hp["learning_rate"] is None:
            hp["learning_rate"] = 0.01 if data["optimizer"] == "sgd" else 0.001
        return {
            "architecture": data["architecture"],
            "hyper_parameters": {k: v for k, v in hp.items() if v not in (None, "")},
            "parent": data["parent"],
            "shared_with": scope.shared_with(self.plot_type, data["scope"], list(data["shared_with"])),
            "force": data["force"],
            "activate": False if data["keep_inactive"] else None,
        }


class ActivateForm(forms.Form):
    """Activating by hand; a model the activation gate found worse needs a reason (apps.monitoring.gating)."""

    reason = forms.CharField(required=False, max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, model, **kwargs):
        super().__init__(*args, **kwargs)
        self.model = model

    def clean(self):
        from apps.monitoring import gating

        data = super().clean()
        text = (data.get("reason") or data.get("note") or "").strip()
        if gating.found_worse(self.model) and not text:
            self.add_error(
                "reason", "This model did worse than the active one after training: say why it should be active."
            )
        data["text"] = text
        return data
