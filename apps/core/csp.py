"""The Content-Security-Policy of every response (django-csp), and the one page that needs an exception.

Scripts run only from the portal's own static files: no inline script, no event-handler attributes,
no eval. The API docs page (drf-spectacular's Swagger UI) writes its start-up script inline; rather
than opening 'unsafe-inline' for it, that page allows exactly the scripts it was rendered with, by hash.
"""

from __future__ import annotations

import base64
import hashlib
import re

from csp.middleware import CSPMiddleware, PolicyParts

_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def websocket_sources(hosts: list[str]) -> list[str]:
    """ws:/wss: sources for the portal's own host names (older browsers do not count them as 'self')."""
    sources = []
    for host in hosts:
        if host == "*" or "[" in host or not host:
            continue  # no wildcard for every host; CSP has no syntax for IPv6 literals
        name = f"*{host}" if host.startswith(".") else host
        sources += [f"ws://{name}:*", f"wss://{name}:*"]
    return sources


def inline_script_hashes(content: bytes) -> list[str]:
    return [
        "'sha256-{}'".format(base64.b64encode(hashlib.sha256(body).digest()).decode("ascii"))
        for body in _INLINE_SCRIPT.findall(content)
    ]


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if _is_swagger_ui(response) and not getattr(response, "streaming", False):
            hashes = inline_script_hashes(response.content)
            if hashes:
                parts.update = {**(parts.update or {}), "script-src": hashes}
        return parts


def _is_swagger_ui(response) -> bool:
    from drf_spectacular.views import SpectacularSwaggerView

    view = (getattr(response, "renderer_context", None) or {}).get("view")
    return isinstance(view, SpectacularSwaggerView)
