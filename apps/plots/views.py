"""Plot pages: the browser (grid and list), one plot, the tree of plot groups, and the image files."""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST, require_safe
from django.views.static import serve

from apps.core import files
from apps.core.bad_input import BadParameters, wants_json
from apps.core.integers import is_out_of_range, parse_id_list
from apps.core.permissions import is_authenticated, read_required, requires
from apps.experiments.production import run_is_production
from apps.experiments.selection import current_experiment
from apps.labels.models import Label, LabelClass
from apps.labels.permissions import can_label
from apps.labels.services import apply_labels, erase_labels
from apps.plots import browsing, cards
from apps.plots.groups import group_tree
from apps.plots.models import Plot

NEIGHBOURS = 6
MAX_LIVE_IDS = 500


@require_GET
@read_required
def plot_list(request):
    """The plot browser: filters, sort and page position all live in the URL."""
    current = current_experiment(request)
    if current is not None and not request.GET.get("experiment") and not request.GET.get("plot_type"):
        params = request.GET.copy()
        params["experiment"] = current.slug
        return redirect(f"{request.path}?{params.urlencode()}")
    state = browsing.read_state(request.GET, current)
    page = browsing.browse(state)
    for problem in state.problems:
        messages.warning(request, problem)
    context = {
        "state": state,
        "page": page,
        "form": state.filterset.form,
        "options": browsing.filter_options(state.experiment),
        "sort_labels": browsing.SORT_LABELS,
        "page_sizes": browsing.PAGE_SIZES,
        "links": {
            "first": state.url() if not state.on_first_page else None,
            "prev": state.url(before=page.prev_cursor) if page.prev_cursor else None,
            "next": state.url(after=page.next_cursor) if page.next_cursor else None,
            "last": state.url(last="1") if page.next_cursor else None,
            "grid": state.url(view=None),
            "list": state.url(view="list"),
            "remove_run": state.url(run=None),
        },
        "selected_types": state.data.getlist("plot_type"),
        "live": {
            "experiment": state.experiment.slug if state.experiment else None,
            "query": state.filter_query,
            "first_page": state.on_first_page,
            "new_url": reverse("plot-browser-new"),
            # What existed when the page was rendered: a page that reconnects asks for what came after.
            "newest": Plot.objects.aggregate(newest=Max("pk"))["newest"] or 0,
        },
    }
    return render(request, "plots/browser.html", context)


@require_GET
@read_required
def plot_list_new(request):
    """Cards for the plots of a live ``plots.created`` event (``ids``), or of every plot after ``since``
    (a page re-syncing after a reconnect), that match the browser's filters."""
    try:
        ids = parse_id_list(request.GET.get("ids", ""), "ids", limit=MAX_LIVE_IDS)
        since = parse_id_list(request.GET.get("since", ""), "since", limit=1)
    except ValidationError as exc:
        raise BadParameters.from_validation_error(exc) from None
    params = request.GET.copy()
    params.pop("ids", None)
    params.pop("since", None)
    state = browsing.read_state(params, current_experiment(request))
    if since:
        newer = state.filterset.qs.filter(pk__gt=since[0]).order_by("-pk").values_list("pk", flat=True)
        ids += list(newer[:MAX_LIVE_IDS])
    plots = list(
        state.filterset.qs.filter(pk__in=ids)
        .select_related("label_class", "verdict_class")
        .prefetch_related("plot_type", "campaign", "run_period")
        .order_by(*state.order)
    )
    html = cards.render(plots, state.view, is_new=True)
    return JsonResponse({"ids": [p.pk for p in plots], "html": html})


def _plot_with_context(pk: int) -> Plot:
    return get_object_or_404(
        Plot.objects.select_related(
            "plot_type__reference_plot__campaign",
            "plot_type__experiment",
            "run",
            "run_period",
            "campaign",
            "label_class",
        ),
        pk=pk,
    )


@require_GET
@read_required
def plot_detail(request, pk: int):
    """One plot: the image with zoom, its label and history, its neighbours in run and campaign."""
    plot = _plot_with_context(pk)
    pt = plot.plot_type
    series = Plot.objects.filter(plot_type=pt, campaign_id=plot.campaign_id, chunk=plot.chunk).select_related(
        "label_class"
    )
    before = list(series.filter(run_number__lt=plot.run_number).order_by("-run_number", "-id")[:NEIGHBOURS])
    after = list(series.filter(run_number__gt=plot.run_number).order_by("run_number", "id")[:NEIGHBOURS])
    others = list(
        Plot.objects.filter(run_id=plot.run_id, plot_type=pt, chunk=plot.chunk)
        .exclude(pk=plot.pk)
        .select_related("campaign", "label_class")
        .order_by("campaign__name")
    )
    compare = others[0] if others else None
    wanted = request.GET.get("compare")
    if wanted and wanted.isdigit():
        compare = next((o for o in others if o.pk == int(wanted)), compare)
    classes = list(pt.valid_label_classes())
    # The newest classification, through the reverse relation (no import of the monitoring app).
    verdict = plot.classifications.select_related("verdict_class").order_by("-created_at", "-id").first()
    if verdict is not None:
        verdict.sorted_scores = sorted(verdict.scores.items(), key=lambda item: -item[1])
    context = {
        "verdict": verdict,
        # A run outside the experiment's production conditions: its verdict is shown muted.
        "special_run": not run_is_production(plot.run, pt.experiment),
        "plot_type_has_model": hasattr(pt, "active_model"),
        "plot": plot,
        "plot_type": pt,
        "prev_plot": before[0] if before else None,
        "next_plot": after[0] if after else None,
        "strip": [*reversed(before), plot, *after],
        "others": others,
        "compare": compare,
        "reference": pt.reference_plot if pt.reference_plot_id != plot.pk else None,
        "history": list(Label.objects.filter(plot=plot).select_related("label_class", "user")[:25]),
        "classes": classes,
        "may_label": can_label(request.user, pt),
    }
    return render(request, "plots/detail.html", context)


@require_POST
@requires(is_authenticated)
def plot_label(request, pk: int):
    """Label one plot (``label_class``) or clear its label (``erase``); JSON for scripts, a redirect for forms."""
    plot = _plot_with_context(pk)
    as_json = wants_json(request)

    def answer(status: int, message: str, **extra):
        if as_json:
            return JsonResponse({"message": message, **extra}, status=status)
        (messages.success if status == 200 else messages.error)(request, message)
        return redirect("plot-page", pk=plot.pk)

    if not can_label(request.user, plot.plot_type):
        return answer(403, f"You may not label {plot.plot_type.name}.")
    if request.POST.get("erase"):
        erase_labels([plot], user=request.user)
        return answer(200, "Label cleared.", label=None)
    cls_id = request.POST.get("label_class", "")
    valid = cls_id.isascii() and cls_id.isdigit() and not is_out_of_range(cls_id)
    cls = LabelClass.objects.filter(pk=int(cls_id)).first() if valid else None
    if cls is None:
        return answer(400, "Choose a label class.")
    try:
        apply_labels([(plot, cls)], user=request.user, comment=request.POST.get("comment", ""), check_permission=True)
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        return answer(403 if isinstance(exc, PermissionDenied) else 400, text)
    return answer(200, f"Labeled {cls.name}.", label={"id": cls.pk, "name": cls.name, "colour": cls.colour})


@require_GET
@read_required
def group_list(request):
    """Super groups → groups → plot types, each linking to the browser filtered on it."""
    experiment = current_experiment(request)
    tree = group_tree(experiment) if experiment else None
    return render(request, "plots/groups.html", {"experiment": experiment, "tree": tree})


@require_safe  # HEAD too: download managers and caches ask for the size first
@read_required
def plot_image(request, pk: int):
    """The full image, downloadable under a name that carries run number and plot type."""
    plot = get_object_or_404(Plot.objects.select_related("plot_type"), pk=pk)
    root = files.local_root()
    if root is not None:
        path = root / plot.image
        if not path.exists():
            raise Http404("image file is missing")
        return FileResponse(open(path, "rb"), as_attachment="download" in request.GET, filename=plot.download_name)
    return _from_storage(request, plot.image, download=plot.download_name if "download" in request.GET else None)


@require_safe  # HEAD too: download managers and caches ask for the size first
@read_required
def media(request, path: str):
    root = files.local_root()
    if root is not None:
        response = serve(request, path, document_root=root)
    else:
        response = _from_storage(request, path)
    # Content-addressed: a path never changes content.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def _from_storage(request, name: str, download: str | None = None):
    """Stream a stored object, or redirect to a signed URL of it (HYDRA_MEDIA_REDIRECT)."""
    if not name or name.startswith("/") or ".." in name.split("/") or "\\" in name:
        raise Http404("no such file")
    store = files.storage()
    if not store.exists(name):
        raise Http404("no such file")
    if settings.MEDIA_REDIRECT and not download:
        return HttpResponseRedirect(store.url(name))
    size = store.size(name)
    handle = store.open(name, "rb")
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=kind, as_attachment=download is not None, filename=download or "")
    response["Content-Length"] = str(size)
    return response
