"""Pages: the live runtime wall, the monitoring log, and the model library."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.core.bad_input import BadParameters
from apps.core.integers import parse_id_list
from apps.core.permissions import read_required, requires
from apps.experiments.selection import current_experiment
from apps.labels.models import LabelClass
from apps.monitoring import gating, registry, runtime, services, training_data
from apps.monitoring.forms import ActivateForm, TrainForm
from apps.monitoring.models import Activation, ActiveModel, ClassifierModel
from apps.monitoring.permissions import can_activate, can_edit_thresholds, can_train
from apps.plots.models import Plot, PlotType

STALE_AFTER_SECONDS = 900


@require_GET
@read_required
def runtime_page(request):
    """One live card per plot type; Bad ones on top. Updated by websocket pushes only."""
    experiment = current_experiment(request)
    cards = runtime.runtime_cards(experiment)
    groups, _ = runtime.group_closure(experiment) if experiment else ([], {})
    context = {
        "experiment": experiment,
        "bad_cards": [c for c in cards if c.is_bad],
        "cards": [c for c in cards if not c.is_bad],
        "groups": groups,
        "group": request.GET.get("group", ""),
        "stale_after": STALE_AFTER_SECONDS,
        "with_model": sum(c.model is not None for c in cards),
        "total": len(cards),
    }
    return render(request, "monitoring/runtime.html", context)


@require_GET
@read_required
def runtime_cards(request):
    """Cards for ``?plot_type=1&plot_type=2`` as HTML snippets, for a page that got a push."""
    try:
        ids = parse_id_list(",".join(request.GET.getlist("plot_type")), "plot_type", limit=200)
    except ValidationError as exc:
        raise BadParameters.from_validation_error(exc) from None
    cards = runtime.runtime_cards(current_experiment(request), ids)
    html = {c.plot_type.pk: render_to_string("monitoring/_card.html", {"card": c}, request=request) for c in cards}
    return JsonResponse({"cards": html, "bad": [c.plot_type.pk for c in cards if c.is_bad]})


@require_GET
@read_required
def log_page(request):
    """Bad or unconfirmed verdicts of the trailing window, grouped by plot type, streaks marked."""
    experiment = current_experiment(request)
    hours = runtime.window_hours(request.GET.get("hours"))
    filterset, groups, truncated = runtime.monitoring_log(experiment, request.GET, hours)
    groups_all, _ = runtime.group_closure(experiment) if experiment else ([], {})
    context = {
        "experiment": experiment,
        "filterset": filterset,
        "groups": groups,
        "truncated": truncated,
        "hours": hours,
        "windows": runtime.LOG_WINDOWS,
        "plot_groups": groups_all,
        "classes": LabelClass.objects.filter(experiment=experiment) if experiment else [],
        "params": request.GET,
        "total": sum(len(g.rows) for g in groups),
    }
    return render(request, "monitoring/log.html", context)


@require_GET
@read_required
def model_library(request):
    """Every plot type of the experiment with its active model and how many models it has."""
    experiment = current_experiment(request)
    types = list(PlotType.objects.filter(experiment=experiment, ignored=False).order_by("name")) if experiment else []
    counts = services.model_counts([t.pk for t in types])
    active = {
        a.plot_type_id: a
        for a in ActiveModel.objects.filter(plot_type__in=types)
        .select_related("model__plot_type")
        .prefetch_related("model__plot_types")
    }
    rows = []
    for t in types:
        entry = active.get(t.pk)
        ready, total = counts.get(t.pk, (0, 0))
        figures = entry.model.figures_for(t) if entry else {}
        rows.append({"plot_type": t, "active": entry, "figures": figures, "n_ready": ready, "n_models": total})
    training = (
        ClassifierModel.objects.filter(
            plot_type__experiment=experiment,
            status__in=[ClassifierModel.Status.QUEUED, ClassifierModel.Status.TRAINING],
            job__isnull=False,
        )
        .select_related("plot_type", "job")
        .order_by("-created_at")[:10]
        if experiment
        else []
    )
    training = [(m, _job_event_json(m.job)) for m in training]
    return render(request, "monitoring/library.html", {"experiment": experiment, "rows": rows, "training": training})


def _job_event_json(job) -> str:
    return json.dumps(job.as_event()) if job else "null"


@require_GET
@read_required
def plot_type_models(request, pk: int):
    """The models of one plot type, the active one starred, the activation log and the train form."""
    plot_type = get_object_or_404(PlotType.objects.select_related("experiment"), pk=pk)
    models = list(
        ClassifierModel.objects.filter(Q(plot_type=plot_type) | Q(plot_types=plot_type))
        .distinct()
        .select_related("created_by", "job", "plot_type", "parent")
        .order_by("-created_at", "-id")
    )
    active = ActiveModel.objects.filter(plot_type=plot_type).first()
    running = [m for m in models if m.status in (ClassifierModel.Status.QUEUED, ClassifierModel.Status.TRAINING)]
    context = {
        "plot_type": plot_type,
        "models": models,
        "active_id": active.model_id if active else None,
        "activations": Activation.objects.filter(plot_type=plot_type).select_related("model", "previous", "user")[:20],
        "form": TrainForm(plot_type=plot_type),
        "can_train": can_train(request.user),
        "can_activate": can_activate(request.user),
        "running": running,
        "running_jobs": json.dumps([m.job.as_event() for m in running if m.job]),
        "labeled": Plot.objects.filter(plot_type=plot_type, label_class__isnull=False).count(),
    }
    return render(request, "monitoring/plot_type.html", context)


@require_POST
@requires(can_train, "Training needs the permission monitoring.add_classifiermodel.")
def train(request, pk: int):
    plot_type = get_object_or_404(PlotType, pk=pk)
    form = TrainForm(request.POST, plot_type=plot_type)
    back = reverse("plot-type-models", args=[plot_type.pk])
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect(back)
    try:
        req = services.request_training(plot_type, user=request.user, **form.request_kwargs())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    if req.skipped:
        messages.warning(
            request, f"The training data has not changed since {req.unchanged}: training skipped (tick 'force')."
        )
        return redirect("model-page", req.unchanged.pk)
    messages.success(request, f"Training {req.model} (job #{req.job.pk}); progress shows below as it comes.")
    return redirect("model-page", req.model.pk)


@require_GET
@read_required
def model_page(request, pk: int):
    """Fact sheet, confusion matrix with confidence histograms, curves, thresholds, disagreements."""
    model = get_object_or_404(
        ClassifierModel.objects.select_related("plot_type__experiment", "parent", "created_by", "job"), pk=pk
    )
    active = ActiveModel.objects.filter(plot_type_id=model.plot_type_id).first()
    classes = {c.name: c for c in LabelClass.objects.filter(experiment_id=model.plot_type.experiment_id)}
    disagreements = (model.metrics or {}).get("disagreements", [])[:60]
    plots = Plot.objects.filter(pk__in=[d["plot"] for d in disagreements]).select_related("label_class", "campaign")
    by_id = {p.pk: p for p in plots}
    rows = [dict(d, plot_obj=by_id[d["plot"]]) for d in disagreements if d["plot"] in by_id]
    context = {
        "model": model,
        "is_active": bool(active and active.model_id == model.pk),
        "covered": training_data.model_plot_types(model),
        "matrix": _matrix_rows(model, classes),
        "thresholds": [
            (name, (model.thresholds or {}).get(name, {}), classes.get(name)) for name in model.label_map or []
        ],
        "per_class": [
            (name, (model.metrics or {}).get("per_class", {}).get(name, {})) for name in model.label_map or []
        ],
        "curves_json": json.dumps(model.curves or {}),
        "job_json": _job_event_json(model.job),
        "disagreements": rows,
        "can_activate": can_activate(request.user) and model.status == ClassifierModel.Status.READY,
        "can_edit_thresholds": can_edit_thresholds(request.user),
        "can_train": can_train(request.user),
        "labeler_url": f"{reverse('labeler')}?plot_type={model.plot_type_id}",
        "comparison": gating.comparison_rows(model),
        "gate": (model.metrics or {}).get("gate") or {},
        "found_worse": gating.found_worse(model),
        "why_worse": gating.why_worse(model),
        "calibration": (model.metrics or {}).get("calibration") or {},
        "activate_form": ActivateForm(model=model),
    }
    return render(request, "monitoring/model.html", context)


def _matrix_rows(model, classes):
    data = model.confusion_matrix or {}
    matrix, hists = data.get("matrix") or [], data.get("histograms") or []
    names = model.label_map or []
    rows = []
    for i, name in enumerate(names):
        cells = []
        total = sum(matrix[i]) if i < len(matrix) else 0
        for j, _ in enumerate(names):
            count = matrix[i][j] if i < len(matrix) else 0
            hist = hists[i][j] if i < len(hists) else []
            peak = max(hist) if hist else 0
            cells.append(
                {
                    "count": count,
                    "share": count / total if total else 0,
                    "diagonal": i == j,
                    "bars": [(k * 8, 20 - h / peak * 18, h / peak * 18, h) for k, h in enumerate(hist)] if peak else [],
                }
            )
        rows.append((name, classes.get(name), cells))
    return rows


@require_POST
def activate(request, pk: int):
    model = get_object_or_404(ClassifierModel, pk=pk)
    form = ActivateForm(request.POST, model=model)
    if not form.is_valid():
        # A model the activation gate found worse needs a reason: say so and change nothing.
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("model-page", model.pk)
    try:
        registry.activate(model, request.user, form.cleaned_data["text"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{model} is now the active model of {model.plot_type}.")
    return redirect("model-page", model.pk)


@require_POST
@requires(can_edit_thresholds, "Changing thresholds needs the permission monitoring.change_classifiermodel.")
def set_thresholds(request, pk: int):
    model = get_object_or_404(ClassifierModel, pk=pk)
    changed = []
    for name in model.label_map or []:
        raw = request.POST.get(f"threshold-{name}")
        if raw in (None, ""):
            continue
        current = (model.thresholds or {}).get(name, {}).get("value")
        try:
            if current is not None and abs(float(raw) - float(current)) < 1e-9:
                continue
            registry.set_threshold(model, name, raw, request.user)
        except (ValueError, ValidationError) as exc:
            messages.error(request, f"{name}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
            continue
        changed.append(name)
    if changed:
        messages.success(request, f"Thresholds changed: {', '.join(changed)}.")
    return redirect("model-page", model.pk)


@require_POST
@requires(can_train, "Evaluating needs the permission monitoring.add_classifiermodel.")
def evaluate(request, pk: int):
    model = get_object_or_404(ClassifierModel, pk=pk)
    job = services.queue_evaluation(model, user=request.user)
    messages.success(request, f"Evaluating {model} on its test plots (job #{job.pk}).")
    return redirect("model-page", model.pk)
