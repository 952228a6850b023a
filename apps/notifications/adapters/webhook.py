"""Webhooks: a JSON POST, signed ``X-Hydra-Signature: sha256=<hex HMAC-SHA256 of the body>``.

The body carries ``text`` (Mattermost's and Slack's incoming webhooks show it) and the structured
``subject``, ``body``, ``payload``, ``source`` and ``delivery`` (its id, the same on each retry).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request

from django.conf import settings

from apps.notifications.adapters import PermanentError

# Answers that a later attempt may not get: timeouts, rate limits; other 4xx refuse the message itself.
RETRY_STATUSES = {408, 409, 425, 429}


def secret_for(url: str) -> str:
    """The signing secret of ``url``: its longest prefix in HYDRA_WEBHOOK_SECRETS, else HYDRA_WEBHOOK_SECRET."""
    configured = settings.WEBHOOK_SECRETS
    if isinstance(configured, str):
        try:
            configured = json.loads(configured) if configured.strip() else {}
        except ValueError as exc:
            raise PermanentError(f"HYDRA_WEBHOOK_SECRETS is not JSON: {exc}") from exc
    if not isinstance(configured, dict):
        raise PermanentError('HYDRA_WEBHOOK_SECRETS must be a JSON object {"url prefix": "secret"}')
    matches = [prefix for prefix in configured if url.startswith(prefix)]
    if matches:
        return str(configured[max(matches, key=len)])
    return settings.WEBHOOK_SECRET


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_of(delivery) -> bytes:
    text = f"**{delivery.subject}**\n{delivery.body}" if delivery.subject else delivery.body
    document = {
        "text": text,
        "subject": delivery.subject,
        "body": delivery.body,
        "payload": delivery.payload,
        "source": delivery.source,
        "delivery": delivery.pk,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def send(delivery) -> None:
    url = delivery.target
    if not url.startswith(("http://", "https://")):
        raise PermanentError(f"a webhook target is an http(s) URL, not {url!r}")
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Hydra-portal",
        "X-Hydra-Delivery": str(delivery.pk),
    }
    secret = secret_for(url)
    if secret:
        headers["X-Hydra-Signature"] = signature(secret, body)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFY_TIMEOUT) as answer:
            answer.read(65536)
    except urllib.error.HTTPError as exc:
        reason = f"HTTP {exc.code} {exc.reason}: {exc.read(300).decode(errors='replace')}".strip()
        if 400 <= exc.code < 500 and exc.code not in RETRY_STATUSES:
            raise PermanentError(reason) from exc
        raise OSError(reason) from exc
