"""The electronic logbook: a generic HTTP adapter that POSTs an entry built from a template.

HYDRA_LOGBOOK_URL is the endpoint ("{logbook}" in it becomes the target, e.g. ``logbook:HDLOG``);
HYDRA_LOGBOOK_TITLE and HYDRA_LOGBOOK_BODY are templates with {subject}, {text}, {logbook}, {run},
{plot_type} and {source}; HYDRA_LOGBOOK_TAGS are added to the payload's tags. HYDRA_LOGBOOK_FORMAT:

- ``multipart`` (default): form fields ``logbook``, ``title``, ``text``, ``tags`` (comma-separated)
  and the stamped plot image as the file ``attachment`` (image/png);
- ``json``: ``{"logbook", "title", "text", "tags": [...], "attachments": [{"filename", "type",
  "data": <base64>}]}``.

HYDRA_LOGBOOK_TOKEN, when set, is sent as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict

from django.conf import settings

from apps.notifications.adapters import PermanentError
from apps.notifications.adapters.image import attachment

FORMATS = ("multipart", "json")


def fields_of(delivery) -> dict:
    payload = delivery.payload or {}
    values = defaultdict(
        str,
        subject=delivery.subject,
        text=delivery.body,
        logbook=delivery.target,
        run=payload.get("run") or "",
        plot_type=payload.get("plot_type") or "",
        source=delivery.source,
    )
    try:
        title = settings.LOGBOOK_TITLE.format_map(values)
        text = settings.LOGBOOK_BODY.format_map(values)
    except (ValueError, IndexError, AttributeError) as exc:
        raise PermanentError(f"HYDRA_LOGBOOK_TITLE or HYDRA_LOGBOOK_BODY is not a valid template: {exc}") from exc
    tags = list(settings.LOGBOOK_TAGS) + [str(tag) for tag in payload.get("tags") or []]
    if payload.get("plot_type"):
        tags.append(str(payload["plot_type"]))
    return {"logbook": delivery.target, "title": title, "text": text, "tags": list(dict.fromkeys(tags))}


def multipart(fields: dict, image) -> tuple[bytes, str]:
    boundary = f"hydra-{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        value = ",".join(value) if isinstance(value, list) else str(value)
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{value}\r\n".encode()
        )
    if image:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="{image[0]}"\r\n'
            "Content-Type: image/png\r\n\r\n".encode()
            + image[1]
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def send(delivery) -> None:
    if not settings.LOGBOOK_URL:
        raise PermanentError("the logbook is off: set HYDRA_LOGBOOK_URL")
    if settings.LOGBOOK_FORMAT not in FORMATS:
        raise PermanentError(f"HYDRA_LOGBOOK_FORMAT is {settings.LOGBOOK_FORMAT!r}; use multipart or json")
    url = settings.LOGBOOK_URL.replace("{logbook}", urllib.parse.quote(delivery.target, safe=""))
    fields = fields_of(delivery)
    image = attachment(delivery)
    if settings.LOGBOOK_FORMAT == "json":
        fields["attachments"] = (
            [{"filename": image[0], "type": "image/png", "data": base64.b64encode(image[1]).decode()}] if image else []
        )
        body, content_type = json.dumps(fields).encode(), "application/json"
    else:
        body, content_type = multipart(fields, image)
    headers = {"Content-Type": content_type, "User-Agent": "Hydra-portal", "X-Hydra-Delivery": str(delivery.pk)}
    if settings.LOGBOOK_TOKEN:
        headers["Authorization"] = f"Bearer {settings.LOGBOOK_TOKEN}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFY_TIMEOUT) as answer:
            answer.read(65536)
    except urllib.error.HTTPError as exc:
        reason = f"HTTP {exc.code} {exc.reason}: {exc.read(300).decode(errors='replace')}".strip()
        if exc.code in (400, 401, 403, 404, 405, 413, 415, 422):
            raise PermanentError(reason) from exc
        raise OSError(reason) from exc
