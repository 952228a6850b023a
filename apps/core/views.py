from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django.views.static import serve

from apps.accounts.permissions import can_read
from apps.experiments.models import Experiment
from apps.plots.models import Plot


def _require_read(request):
    if not can_read(request.user):
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    return None


@require_GET
def home(request):
    if (denied := _require_read(request)) is not None:
        return denied
    experiments = Experiment.objects.annotate(
        plot_type_count=Count("plot_types", distinct=True),
        run_count=Count("runs", distinct=True),
    )
    # Plot counts come from one grouped query on the plot table's experiment index.
    stats = {
        row["experiment_id"]: row
        for row in Plot.objects.values("experiment_id").annotate(total=Count("id"), labeled=Count("label_class"))
    }
    rows = [
        {
            "experiment": e,
            "total": stats.get(e.pk, {}).get("total", 0),
            "labeled": stats.get(e.pk, {}).get("labeled", 0),
        }
        for e in experiments
    ]
    latest = Plot.objects.select_related("plot_type", "label_class").order_by("-id")[:12]
    return render(request, "core/home.html", {"rows": rows, "latest": latest})


@require_GET
def plot_image(request, pk: int):
    """The full image, downloadable under a name that carries run number and plot type."""
    if (denied := _require_read(request)) is not None:
        return denied
    plot = get_object_or_404(Plot.objects.select_related("plot_type"), pk=pk)
    path = settings.MEDIA_ROOT / plot.image
    if not path.exists():
        raise Http404("image file is missing")
    return FileResponse(open(path, "rb"), as_attachment="download" in request.GET, filename=plot.download_name)


@require_GET
def media(request, path: str):
    if (denied := _require_read(request)) is not None:
        return denied
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    # Content-addressed: a path never changes content.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
