"""ASGI entry point: HTTP through Django on a fixed pool of threads, websockets through Channels.

Django's own ASGI handler runs each request's sync code in a thread made for that request, so
every request opened (and closed) a database connection of its own: a handshake and a few
``SET`` statements per page, a quarter of a page's time under load. Here HTTP requests go to
Django's WSGI handler on ``HTTP_THREADS`` long-lived threads per process (a2wsgi, which streams
request and response bodies between the event loop and the threads), so each thread keeps its
connection for ``CONN_MAX_AGE`` seconds (checked before reuse: ``CONN_HEALTH_CHECKS``), and a
process never holds more than ``HTTP_THREADS`` connections for its pages however many clients
it serves. ``HYDRA_HTTP_THREADS=0`` goes back to Django's ASGI handler with a connection per
request.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hydra_portal.settings")
django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402

if settings.HTTP_THREADS:
    from a2wsgi import WSGIMiddleware  # noqa: E402
    from django.core.wsgi import get_wsgi_application  # noqa: E402

    http_app = WSGIMiddleware(get_wsgi_application(), workers=settings.HTTP_THREADS)
else:
    # A thread per request: a connection kept for reuse never would be, and stays open until its
    # thread is collected (50 clients ran MariaDB out of its 151 connections); close it at the end.
    for database in settings.DATABASES.values():
        database["CONN_MAX_AGE"] = 0
    http_app = django_asgi_app

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from apps.core.routing import websocket_urlpatterns  # noqa: E402
from hydra_portal.body_limits import BodyLimits  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodyLimits(http_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
