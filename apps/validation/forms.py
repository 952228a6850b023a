from django import forms

from apps.experiments.conditions import ConditionError
from apps.experiments.conditions import validate as validate_conditions
from apps.experiments.models import Campaign
from apps.plots.models import PlotType
from apps.validation.choices import EmbeddingMethod
from apps.validation.models import ValidationThreshold
from apps.validation.simulation import DEFAULT_CAMPAIGN, MAX_COUNT
from ml.synthetic import FAILURE_MODES


class ExperimentScoped(forms.Form):
    """A form whose plot type and campaign choices belong to one experiment."""

    def __init__(self, *args, experiment=None, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField) and experiment is not None:
                field.queryset = field.queryset.filter(experiment=experiment)


class ReportForm(ExperimentScoped):
    campaign = forms.ModelChoiceField(Campaign.objects.all(), help_text="The campaign to validate.")
    reference = forms.ModelChoiceField(
        Campaign.objects.all(),
        required=False,
        empty_label="Automatic: the newest reference campaign",
        help_text="Compared against; empty picks the most recent campaign marked as reference.",
    )

    conditions = forms.CharField(
        required=False,
        max_length=500,
        strip=True,
        help_text="Only runs matching these run conditions, e.g. @is_production and beam_current > 100.",
    )

    def clean_conditions(self):
        try:
            return validate_conditions(self.cleaned_data.get("conditions") or "")
        except ConditionError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        data = super().clean()
        if data.get("campaign") and data.get("reference") and data["campaign"] == data["reference"]:
            raise forms.ValidationError("Choose a reference other than the campaign itself.")
        return data


class MapForm(ExperimentScoped):
    plot_type = forms.ModelChoiceField(PlotType.objects.all())
    method = forms.ChoiceField(choices=EmbeddingMethod.choices, initial=EmbeddingMethod.AUTOENCODER)
    clusters = forms.ChoiceField(choices=[("kmeans", "k-means"), ("hdbscan", "HDBSCAN")], initial="kmeans")


class TrainForm(ExperimentScoped):
    plot_type = forms.ModelChoiceField(PlotType.objects.all())
    kind = forms.ChoiceField(choices=[("autoencoder", "Autoencoder"), ("siamese", "Siamese model")])
    quantile = forms.FloatField(
        required=False,
        min_value=0.5,
        max_value=1.0,
        initial=0.99,
        help_text="Autoencoder: the threshold is this quantile of the held-out normal plots' scores.",
        widget=forms.NumberInput(attrs={"step": "0.001", "min": 0.5, "max": 1}),
    )


class SimulateForm(ExperimentScoped):
    plot_type = forms.ModelChoiceField(PlotType.objects.all(), help_text="Plot type whose good histograms are broken.")
    modes = forms.MultipleChoiceField(
        choices=[(m, m.replace("_", " ")) for m in FAILURE_MODES if m != "empty"] + [("empty", "empty")],
        widget=forms.CheckboxSelectMultiple,
        help_text="Failure modes; modes that do not fit the plot type are skipped with a note.",
    )
    count = forms.IntegerField(min_value=1, max_value=min(MAX_COUNT, 100), initial=10, help_text="Plots per mode.")
    campaign = forms.SlugField(
        initial=DEFAULT_CAMPAIGN, max_length=100, help_text="A simulation campaign; made if new."
    )


class ThresholdForm(forms.ModelForm):
    class Meta:
        model = ValidationThreshold
        fields = ["warn_below", "fail_below", "siamese_warn_below", "siamese_fail_below"]
        widgets = {name: forms.NumberInput(attrs={"step": "0.01", "min": 0, "max": 1}) for name in fields}
