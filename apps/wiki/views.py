"""The plot-type page: description (Markdown, edit history), reference, classes, latest plots, Q&A."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.audit import record
from apps.audit.models import AuditEntry
from apps.core.permissions import read_required, requires
from apps.labels.permissions import can_label
from apps.plots.models import Plot, PlotType
from apps.wiki.forms import AnswerForm, DescriptionForm, QuestionForm
from apps.wiki.models import Answer, DescriptionRevision, Question
from apps.wiki.permissions import can_ask, can_edit_docs

RECENT = 12


def _plot_type(pk: int) -> PlotType:
    return get_object_or_404(
        PlotType.objects.select_related("experiment", "reference_plot__campaign", "reference_plot__plot_type"), pk=pk
    )


@require_GET
@read_required
def plot_type_detail(request, pk: int):
    pt = _plot_type(pk)
    questions = (
        Question.objects.filter(plot_type=pt)
        .select_related("author")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("author")))
    )
    # The model that classifies this type's new plots, possibly one shared with other plot types
    # (through the reverse relation: the wiki does not import the monitoring app).
    active = pt.active_model.model if hasattr(pt, "active_model") else None
    context = {
        "plot_type": pt,
        "active_model": active,
        "active_figures": active.figures_for(pt) if active else {},
        "groups": list(pt.groups.order_by("name")),
        "classes": list(pt.valid_label_classes().order_by("order", "name")),
        # Newest runs come off the (plot type, run) index.
        "recent": list(
            Plot.objects.filter(plot_type=pt)
            .select_related("label_class", "campaign")
            .order_by("-run_number", "-id")[:RECENT]
        ),
        "revisions": list(DescriptionRevision.objects.filter(plot_type=pt).select_related("author")[:20]),
        "questions": list(questions[:50]),
        "may_edit": can_edit_docs(request.user),
        "may_ask": can_ask(request.user),
        "may_label": can_label(request.user, pt),
        "question_form": QuestionForm(),
        "answer_form": AnswerForm(),
    }
    return render(request, "wiki/plot_type.html", context)


@require_http_methods(["GET", "POST"])
@requires(can_edit_docs, "Only detector experts and admins edit plot-type descriptions.")
def plot_type_edit(request, pk: int):
    pt = _plot_type(pk)
    form = DescriptionForm(request.POST or None, instance=pt)
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = form.cleaned_data["description"]
        else:
            with transaction.atomic():
                form.save()
                revision = DescriptionRevision.objects.create(
                    plot_type=pt,
                    text=form.cleaned_data["description"],
                    summary=form.cleaned_data["summary"],
                    author=request.user,
                )
                record(request.user, AuditEntry.Action.EDIT_PLOT_TYPE_PAGE, pt, revision=revision.pk)
            messages.success(request, "Description saved.")
            return redirect("plot-type-page", pk=pt.pk)
    return render(request, "wiki/edit.html", {"plot_type": pt, "form": form, "preview": preview})


@require_POST
@requires(can_ask, "Log in to ask a question.")
def ask(request, pk: int):
    pt = _plot_type(pk)
    form = QuestionForm(request.POST)
    if form.is_valid():
        Question.objects.create(plot_type=pt, author=request.user, text=form.cleaned_data["text"])
        messages.success(request, "Question posted; the experts are notified on this page.")
    else:
        messages.error(request, "Write a question first.")
    return redirect(f"/plot-types/{pt.pk}/#questions")


@require_POST
@requires(can_edit_docs, "Only detector experts and admins answer questions.")
def answer(request, pk: int):
    question = get_object_or_404(Question.objects.select_related("plot_type"), pk=pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        Answer.objects.create(question=question, author=request.user, text=form.cleaned_data["text"])
        messages.success(request, "Answer posted.")
    else:
        messages.error(request, "Write an answer first.")
    return redirect(f"/plot-types/{question.plot_type_id}/#q{question.pk}")
