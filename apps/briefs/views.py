"""Pages: past briefs, one brief (with the note and Send while a draft), and a brief on demand."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.briefs import services
from apps.briefs.forms import NoteForm, PeriodForm
from apps.briefs.models import Brief, ShiftSchedule
from apps.briefs.permissions import WRITE_MESSAGE, can_write
from apps.core.bad_input import BadParameters
from apps.core.pagination import BadCursor, paginate
from apps.core.permissions import read_required, requires
from apps.experiments.selection import current_experiment

PAGE_SIZE = 30
ORDER = ("-period_end", "-id")


writer_required = requires(can_write, WRITE_MESSAGE)


@require_GET
@read_required
def brief_list(request):
    """The experiment's briefs, newest period first."""
    experiment = current_experiment(request)
    base = Brief.objects.filter(experiment=experiment).select_related("written_by", "sent_by")
    try:
        page = paginate(base.defer("content", "text"), ORDER, request.GET.get("after"), PAGE_SIZE)
    except BadCursor as exc:
        raise BadParameters({"after": [str(exc)]}) from None
    context = {
        "experiment": experiment,
        "briefs": page.rows,
        "next_query": f"?after={page.next_cursor}" if page.next_cursor else "",
        "schedule": ShiftSchedule.objects.filter(experiment=experiment).first() if experiment else None,
        "can_write": can_write(request.user),
    }
    return render(request, "briefs/list.html", context)


def _detail(request, brief: Brief, note_form=None, status=200):
    context = {
        "brief": brief,
        "c": brief.content,
        "experiment": brief.experiment,
        "note_form": note_form or NoteForm(initial={"note": brief.note}),
        "can_write": can_write(request.user),
    }
    return render(request, "briefs/detail.html", context, status=status)


def _get_brief(pk: int) -> Brief:
    return get_object_or_404(Brief.objects.select_related("experiment", "written_by", "sent_by"), pk=pk)


@require_GET
@read_required
def brief_detail(request, pk: int):
    return _detail(request, _get_brief(pk))


@require_POST
@writer_required
def brief_note(request, pk: int):
    """Save the note of a draft; with ``send`` in the form, send it too."""
    brief = _get_brief(pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _detail(request, brief, note_form=form, status=400)
    try:
        brief = services.set_note(brief, form.cleaned_data["note"], request.user)
    except ValidationError as exc:
        form.add_error(None, exc.messages[0])
        return _detail(request, brief, note_form=form, status=409)
    if "send" in request.POST:
        return _send(request, brief)
    messages.success(request, "Note saved.")
    return redirect(brief)


def _send(request, brief: Brief):
    try:
        brief, did = services.send(brief, request.user)
    except ValidationError as exc:
        form = NoteForm(initial={"note": brief.note})
        form.add_error(None, exc.messages[0])
        return _detail(request, _get_brief(brief.pk), note_form=form, status=409)
    messages.success(request, "Brief sent." if did else "This brief had been sent already.")
    return redirect(brief)


@require_POST
@writer_required
def brief_send(request, pk: int):
    return _send(request, _get_brief(pk))


@require_http_methods(["GET", "POST"])
@writer_required
def brief_new(request):
    """A brief on demand: a period (and a preview of it), the note, then Save draft or Send."""
    experiment = current_experiment(request)
    if experiment is None:
        raise BadParameters({"experiment": ["No experiment yet: create one first."]})
    data = request.POST if request.method == "POST" else (request.GET if "since" in request.GET else None)
    form = PeriodForm(data)
    preview = None
    if data is None or not form.is_valid():
        status = 400 if data is not None else 200
        return render(request, "briefs/new.html", {"form": form, "experiment": experiment}, status=status)
    d = form.cleaned_data
    if request.method == "GET":
        preview = services.preview(experiment, d["start"], d["end"], d["shift"], d["note"])
        context = {"form": form, "experiment": experiment, "brief": preview, "c": preview.content}
        return render(request, "briefs/new.html", context)
    try:
        brief = services.write(
            experiment, d["start"], d["end"], request.user, d["shift"], d["note"], send_now="send" in request.POST
        )
    except ValidationError as exc:
        form.add_error(None, exc.messages[0])
        return render(request, "briefs/new.html", {"form": form, "experiment": experiment}, status=409)
    messages.success(request, "Brief sent." if brief.is_sent else "Draft saved: write the note, then send it.")
    return redirect(brief)
