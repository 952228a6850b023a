"""The content-management side of plot types: description edit history and Q&A notes."""

from django.conf import settings
from django.db import models


class DescriptionRevision(models.Model):
    """One saved version of a plot type's Markdown description; the newest is what PlotType.description holds."""

    plot_type = models.ForeignKey("plots.PlotType", on_delete=models.CASCADE, related_name="description_revisions")
    text = models.TextField(blank=True)
    summary = models.CharField(max_length=200, blank=True, help_text="What changed, in a few words.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["plot_type", "-created_at"], name="wiki_revision_recent")]

    def __str__(self):
        return f"{self.plot_type} @ {self.created_at:%Y-%m-%d %H:%M}"


class Question(models.Model):
    """A question or note about a plot type, asked by any logged-in collaborator."""

    plot_type = models.ForeignKey("plots.PlotType", on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["plot_type", "-created_at"], name="wiki_question_recent")]

    def __str__(self):
        return self.text[:60]


class Answer(models.Model):
    """An expert's answer to a question."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.text[:60]
