from django import forms

from apps.plots.models import PlotType
from apps.wiki.models import Answer, Question


class DescriptionForm(forms.ModelForm):
    summary = forms.CharField(
        max_length=200, required=False, label="Summary of the change", widget=forms.TextInput(attrs={"size": 60})
    )

    class Meta:
        model = PlotType
        fields = ["description", "expert_contact"]
        widgets = {"description": forms.Textarea(attrs={"rows": 18, "class": "mono"})}
        labels = {"description": "Description (Markdown)", "expert_contact": "Expert to contact"}


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["text"]
        labels = {"text": "Your question or note"}
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class AnswerForm(forms.ModelForm):
    class Meta:
        model = Answer
        fields = ["text"]
        labels = {"text": "Answer"}
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}
