"""Forms of the alarm pages: a rule for experts, acknowledge and silence for the shift crew."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from apps.alerts.models import Rule, parse_targets, validate_targets
from apps.plots.models import PlotGroup, PlotType

SILENCE_CHOICES = [("1", "1 hour"), ("4", "4 hours"), ("8", "8 hours (a shift)"), ("24", "24 hours"), ("72", "3 days")]


class TargetsField(forms.CharField):
    """Targets one per line (or comma-separated): email:…, webhook:…, epics:…, logbook:…"""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return parse_targets(super().to_python(value))

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError("Give at least one target.")
        validate_targets(value)


class RuleForm(forms.ModelForm):
    targets = TargetsField(
        required=False,
        help_text="The shift crew, one per line: email:shift@lab.org, webhook:https://…, epics:PV, logbook:default.",
    )
    escalation_targets = TargetsField(required=False, help_text="Who is told when nobody acknowledges in time.")

    class Meta:
        model = Rule
        fields = Rule.EDITABLE_FIELDS

    def __init__(self, *args, experiment, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.experiment = experiment
        self.fields["plot_type"].queryset = PlotType.objects.filter(experiment=experiment).order_by("name")
        self.fields["plot_group"].queryset = PlotGroup.objects.filter(experiment=experiment).order_by("name")


class AcknowledgeForm(forms.Form):
    comment = forms.CharField(
        max_length=500, required=False, widget=forms.TextInput(attrs={"placeholder": "e.g. HV trip, called the expert"})
    )


class SilenceForm(forms.Form):
    hours = forms.TypedChoiceField(choices=SILENCE_CHOICES, coerce=int, initial="4", label="For")
    scope = forms.ChoiceField(
        choices=[("plot_type", "this plot type"), ("rule", "this rule")], initial="plot_type", label="Silence"
    )
    reason = forms.CharField(
        max_length=300, widget=forms.TextInput(attrs={"placeholder": "e.g. detector off for access"})
    )

    def ends_at(self):
        return timezone.now() + timedelta(hours=self.cleaned_data["hours"])
