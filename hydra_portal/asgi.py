"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hydra_portal.settings")
django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402

# Django serves each ASGI request's sync code in a thread of its own, so a connection kept for
# reuse (CONN_MAX_AGE) is never reused: it stays open until its thread is collected, and 50
# concurrent clients exhausted MariaDB's 151 connections within seconds ("Too many connections").
# Django's advice for ASGI: close each request's connection when it ends.
for database in settings.DATABASES.values():
    database["CONN_MAX_AGE"] = 0

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from apps.core.routing import websocket_urlpatterns  # noqa: E402
from hydra_portal.body_limits import BodyLimits  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodyLimits(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
