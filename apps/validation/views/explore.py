"""The explore page (embedding map), its binary data, the "most different" rankings, and starting jobs."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.core.permissions import read_required
from apps.experiments.models import Campaign
from apps.experiments.selection import current_experiment
from apps.plots.models import Plot, PlotType, media_url
from apps.validation import anomalies, tasks
from apps.validation import explore as explore_data
from apps.validation.choices import EmbeddingMethod
from apps.validation.forms import MapForm, TrainForm
from apps.validation.models import AnomalyScore, EmbeddingSpace, PlotEmbedding
from apps.validation.permissions import may_run, run_required
from apps.validation.views.reports import overview_response

RANKINGS = {
    "outlier": "Most different (map)",
    "anomaly": "Autoencoder anomaly",
    "mislabeled": "Likely mislabeled",
}
RANKED = 48


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() and len(str(value)) <= 18 else None


def _plot_type(request, experiment) -> PlotType | None:
    wanted = _int(request.GET.get("plot_type"))
    types = PlotType.objects.filter(experiment=experiment, ignored=False) if experiment else PlotType.objects.none()
    if wanted:
        return types.filter(pk=wanted).first()
    with_map = types.filter(embedding_spaces__isnull=False).order_by("name").first()
    return with_map or types.order_by("name").first()


@require_GET
@read_required
def explore(request):
    experiment = current_experiment(request)
    plot_type = _plot_type(request, experiment)
    spaces = list(EmbeddingSpace.objects.filter(plot_type=plot_type)) if plot_type else []
    method = request.GET.get("method")
    space = next((s for s in spaces if s.method == method), None) or (spaces[0] if spaces else None)
    colour = request.GET.get("colour") if request.GET.get("colour") in explore_data.COLOUR_BY else "label"
    context = {
        "experiment": experiment,
        "plot_type": plot_type,
        "types": PlotType.objects.filter(experiment=experiment, ignored=False).order_by("name") if experiment else [],
        "spaces": spaces,
        "space": space,
        "colour": colour,
        "colour_by": explore_data.COLOUR_BY,
        "may_run": may_run(request.user),
        "methods": EmbeddingMethod.choices,
        "max_points": explore_data.MAX_POINTS,
    }
    if space is not None:
        top = PlotEmbedding.objects.filter(space=space).select_related(
            "plot__label_class", "plot__campaign", "suggested_label"
        )
        context["different"] = list(top.order_by("-outlier_score")[:8])
        context["mislabeled"] = list(top.filter(mislabel_score__gt=0.5).order_by("-mislabel_score")[:8])
    return render(request, "validation/explore.html", context)


@require_GET
@read_required
def map_points(request, pk: int):
    space = get_object_or_404(EmbeddingSpace.objects.select_related("plot_type"), pk=pk)
    wanted = _int(request.GET.get("max_points"))
    limit = max(1000, min(wanted or explore_data.MAX_POINTS, 1_000_000))
    response = HttpResponse(explore_data.payload(space, limit), content_type="application/octet-stream")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
@read_required
def plot_thumbnail(request, pk: int):
    """Redirect to a plot's thumbnail (the explore page knows ids, not file names)."""
    thumb = Plot.objects.filter(pk=pk).values_list("thumbnail", flat=True).first()
    if not thumb:
        raise Http404("no such plot")
    response = HttpResponseRedirect(media_url(thumb))
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_POST
@run_required(may_run, "compute maps")
def map_compute(request):
    form = MapForm(request.POST, experiment=current_experiment(request))
    if not form.is_valid():
        messages.error(request, "Choose a plot type and a method.")
        return redirect("validation")
    pt, method = form.cleaned_data["plot_type"], form.cleaned_data["method"]
    job = tasks.start(
        tasks.compute_map,
        title=f"Map of {pt.name} ({method})",
        user=request.user,
        dedupe=("plot_type", "method"),
        plot_type=pt.pk,
        method=method,
        clusters=form.cleaned_data["clusters"],
    )
    messages.success(request, f"Computing the {method} map of {pt.name} (job #{job.pk}); the page updates when done.")
    return redirect(reverse("validation-explore") + f"?plot_type={pt.pk}&method={method}")


@require_POST
@run_required(may_run, "train validation models")
def model_train(request):
    form = TrainForm(request.POST, experiment=current_experiment(request))
    if not form.is_valid():
        messages.error(request, "Choose a plot type and a model.")
        return redirect("validation")
    pt, kind = form.cleaned_data["plot_type"], form.cleaned_data["kind"]
    params = {"plot_type": pt.pk}
    if kind == "autoencoder":
        try:
            anomalies.training_plots(pt)
        except anomalies.TooFewNormal as exc:
            messages.error(request, str(exc))
            return overview_response(request, status=400, train_form=form)
        if form.cleaned_data.get("quantile") is not None:
            params["quantile"] = form.cleaned_data["quantile"]
    actor = tasks.train_autoencoder if kind == "autoencoder" else tasks.train_siamese
    job = tasks.start(actor, title=f"{kind.title()} of {pt.name}", user=request.user, dedupe=("plot_type",), **params)
    messages.success(request, f"Training the {kind} of {pt.name} (job #{job.pk}).")
    return redirect("validation")


@require_GET
@read_required
def different(request):
    """Ranked "most different" plots of a plot type, optionally within one campaign or run."""
    experiment = current_experiment(request)
    plot_type = _plot_type(request, experiment)
    by = request.GET.get("by") if request.GET.get("by") in RANKINGS else "outlier"
    campaign = Campaign.objects.filter(experiment=experiment, pk=_int(request.GET.get("campaign"))).first()
    run = _int(request.GET.get("run"))
    rows, note = [], ""
    if plot_type is not None:
        if by == "anomaly":
            model = anomalies.active(plot_type.pk)
            qs = AnomalyScore.objects.filter(model=model).order_by("-score") if model else AnomalyScore.objects.none()
            note = "" if model else "No autoencoder yet: train one on the validation page."
        else:
            space = EmbeddingSpace.objects.filter(plot_type=plot_type).order_by("method").first()
            qs = PlotEmbedding.objects.filter(space=space) if space else PlotEmbedding.objects.none()
            if by == "mislabeled":
                qs = qs.filter(plot__label_class__isnull=False, mislabel_score__gt=0).order_by("-mislabel_score")
            else:
                qs = qs.order_by("-outlier_score")
            note = "" if space else "No map yet: compute one on the validation page."
        if campaign:
            qs = qs.filter(plot__campaign=campaign)
        if run is not None:
            qs = qs.filter(plot__run_number=run)
        for row in qs.select_related("plot__label_class", "plot__campaign")[:RANKED]:
            score = row.score if by == "anomaly" else (row.mislabel_score if by == "mislabeled" else row.outlier_score)
            rows.append({"plot": row.plot, "score": score, "row": row})
    return render(
        request,
        "validation/different.html",
        {
            "experiment": experiment,
            "plot_type": plot_type,
            "types": PlotType.objects.filter(experiment=experiment, ignored=False).order_by("name")
            if experiment
            else [],
            "campaigns": Campaign.objects.filter(experiment=experiment).order_by("name") if experiment else [],
            "campaign": campaign,
            "run": run,
            "by": by,
            "title": RANKINGS[by],
            "rankings": RANKINGS,
            "rows": rows,
            "note": note,
        },
    )
