"""The labeler page and its batch endpoint."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.core.permissions import is_authenticated, read_required, requires
from apps.experiments.selection import current_experiment
from apps.labels import labeler
from apps.labels.permissions import can_label, labelable_plot_type_ids
from apps.labels.services import apply_labels, erase_labels, valid_class_ids
from apps.plots.models import Plot, PlotType

MAX_BATCH = 1000


@require_GET
@read_required
def labeler_page(request):
    """Choose a plot type and run range; paint plots with the palette; apply the batch."""
    experiment = current_experiment(request)
    state = labeler.read_state(request.GET, experiment)
    context = {"state": state, "experiment": experiment}
    if state.plot_type is None:
        for problem in state.problems:
            messages.warning(request, problem)
        types = list(PlotType.objects.filter(experiment=experiment, ignored=False).order_by("detector", "name"))
        allowed = labelable_plot_type_ids(request.user, [t.pk for t in types])
        context["choices"] = [(t, t.pk in allowed) for t in types]
        return render(request, "labels/choose.html", context)

    pt = state.plot_type
    page = labeler.page(state)
    for problem in state.problems:
        messages.warning(request, problem)
    classes = labeler.classes_for(pt)
    may_label = can_label(request.user, pt)
    context.update(
        page=page,
        classes=classes,
        remaining=labeler.remaining(state),
        leaderboard=labeler.leaderboard(pt),
        may_label=may_label,
        next_url=state.query(after=page.next_cursor) if page.next_cursor else None,
        first_url=state.query() if state.after else None,
        mode_urls={m: state.query(mode=m, label=None) for m in labeler.MODES},
        config={
            "applyUrl": reverse("labeler-apply"),
            "plotType": pt.pk,
            "mode": state.mode,
            "user": request.user.get_username() if request.user.is_authenticated else None,
            "mayLabel": may_label,
            "classes": [{"id": c.pk, "name": c.name, "colour": c.colour, "hotkey": c.hotkey} for c in classes],
        },
    )
    return render(request, "labels/labeler.html", context)


@require_POST
@requires(is_authenticated, json=True)
def labeler_apply(request):
    """Save a batch ``{"plot_type": id, "labels": {"<plot id>": <class id or null>}}`` in one transaction."""
    try:
        body = json.loads(request.body or b"{}")
        pt_id = int(body["plot_type"])
        wanted = {int(k): (None if v is None else int(v)) for k, v in dict(body["labels"]).items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        return JsonResponse(
            {"message": 'Send {"plot_type": id, "labels": {"<plot id>": class id or null}}.'}, status=400
        )
    if not wanted:
        return JsonResponse({"message": "Nothing to apply."}, status=400)
    if len(wanted) > MAX_BATCH:
        return JsonResponse({"message": f"At most {MAX_BATCH} labels at once."}, status=400)
    pt = PlotType.objects.filter(pk=pt_id).first()
    if pt is None:
        return JsonResponse({"message": "No such plot type."}, status=400)
    if not can_label(request.user, pt):
        return JsonResponse({"message": f"You may not label {pt.name}."}, status=403)
    plots = {p.pk: p for p in Plot.objects.filter(pk__in=wanted, plot_type=pt).select_related("plot_type")}
    missing = sorted(set(wanted) - set(plots))
    if missing:
        return JsonResponse({"message": f"Not plots of {pt.name}: {', '.join(map(str, missing[:10]))}."}, status=400)
    valid = valid_class_ids([pt])[pt.pk]
    classes = {c.pk: c for c in pt.valid_label_classes()}
    bad = sorted({c for c in wanted.values() if c is not None and c not in valid})
    if bad:
        return JsonResponse({"message": f"Classes not valid for {pt.name}: {', '.join(map(str, bad))}."}, status=400)
    pairs = [(plots[pk], classes[c]) for pk, c in wanted.items() if c is not None]
    to_erase = [plots[pk] for pk, c in wanted.items() if c is None]
    try:
        with transaction.atomic():
            saved = apply_labels(pairs, user=request.user, check_permission=True)
            erased = erase_labels(to_erase, user=request.user) if to_erase else 0
    except PermissionDenied as exc:
        return JsonResponse({"message": str(exc)}, status=403)
    except ValidationError as exc:
        return JsonResponse({"message": " ".join(exc.messages)}, status=400)
    state = labeler.LabelerState(
        plot_type=pt,
        run_min=_opt_int(body.get("run_min")),
        run_max=_opt_int(body.get("run_max")),
        conditions=labeler.read_conditions(
            body.get("conditions") if isinstance(body.get("conditions"), str) else "", []
        ),
    )
    return JsonResponse({"saved": len(saved), "erased": erased, "remaining": labeler.remaining(state)})


def _opt_int(value):
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None
