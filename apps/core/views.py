import mimetypes

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_safe
from django.views.static import serve

from apps.core import charts, dashboard, files, health, outage
from apps.core.access import read_required
from apps.core.selection import current_experiment, experiments
from apps.plots.models import Plot


@require_GET
@read_required
def home(request):
    """The experiment dashboard: the slides' summary table, then the chosen experiment's latest runs and Bad plots."""
    rows = dashboard.summaries(experiments(request))
    current = current_experiment(request)
    context = {"rows": rows, "current": None}
    for row in rows:
        row.spark = charts.sparkline(row.hourly, label=f"{row.experiment.name}: plots per hour, last 24 hours")
        row.stack = charts.stacked_bar(row.by_class, label=f"{row.experiment.name} labels")
        if current is not None and row.experiment.pk == current.pk:
            context["current"] = row
    if current is not None:
        bad_ids = dashboard.bad_class_ids(current)
        slots = dashboard.hour_slots(timezone.now())
        hourly = context["current"].hourly if context["current"] else [0] * 24
        context.update(
            latest_runs=dashboard.latest_runs(current, bad_ids),
            latest_bad=dashboard.latest_bad_plots(current, bad_ids),
            cadence_chart=charts.bar_chart(
                hourly, [s.strftime("%H:00") for s in slots], title=f"{current.name}: plots ingested per hour"
            ),
        )
    return render(request, "core/home.html", context)


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


@require_GET
def healthz(request):
    """Database, broker, channel layer, media storage and workers, each reported; 503 when a required one fails."""
    healthy, body = health.report()
    response = JsonResponse(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    if not healthy:
        response["Retry-After"] = str(outage.RETRY_AFTER_SECONDS)
    return response
