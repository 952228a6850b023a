from django.http import JsonResponse
from django.views.decorators.http import require_GET

from apps.core import health, outage


@require_GET
def healthz(request):
    """Database, broker, channel layer, media storage and workers, each reported; 503 when a required one fails."""
    healthy, body = health.report()
    response = JsonResponse(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    if not healthy:
        response["Retry-After"] = str(outage.RETRY_AFTER_SECONDS)
    return response
