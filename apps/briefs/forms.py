from django import forms
from django.core.exceptions import ValidationError

from apps.briefs import moments, services


class PeriodForm(forms.Form):
    """The period of an on-demand brief (local time), its shift name and the note."""

    since = forms.CharField(max_length=40, required=False, help_text="2026-12-04 07:00 (local time)")
    until = forms.CharField(max_length=40, required=False, help_text="Empty: now")
    shift = forms.CharField(max_length=50, required=False, label="Shift name")
    note = forms.CharField(
        max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 5}), label="For the next shift"
    )

    def clean(self):
        data = super().clean()
        try:
            data["start"], data["end"] = moments.period(data.get("since"), data.get("until"))
            services.check_period(data["start"], data["end"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
        return data


class NoteForm(forms.Form):
    note = forms.CharField(
        max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 6}), label="For the next shift"
    )
